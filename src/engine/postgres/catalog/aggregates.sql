SELECT a.aggfnoid::oid::int8 AS oid, a.aggkind::text AS kind,
       a.aggtransfn::regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
       a.aggtransspace AS sspace,
       NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra AS finalextra,
       a.aggfinalmodify::text AS finalmodify,
       NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc,
       NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc,
       NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc,
       NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc,
       NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
       CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
       a.aggmtransspace AS msspace,
       NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggmfinalextra AS mfinalextra,
       a.aggmfinalmodify::text AS mfinalmodify,
       a.agginitval AS initcond, a.aggminitval AS minitcond,
       CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END AS sortop,
       p.proparallel::text AS parallel
FROM pg_catalog.pg_aggregate a
JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid::oid >= 16384
