-- What connection ? is doing: a metadata-lock wait shows in its state, and
-- TIME is the seconds it has been in that state.
SELECT STATE, LEFT(INFO, 400), TIME FROM information_schema.PROCESSLIST WHERE ID = ?
