-- What connection ? is doing: a metadata-lock wait shows in its state.
SELECT STATE, LEFT(INFO, 400) FROM information_schema.PROCESSLIST WHERE ID = ?
