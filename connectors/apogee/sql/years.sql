-- R03 OpenYears: years open in Apogée (ANNEE_UNI.ETA_ANU_IAE = 'O'), newest first, each
-- with whether Apogée holds admission results for it (the wizard preselects the newest
-- such year, issue 16 item 15): an admission result (COD_ADM = 1, R11) with a result
-- type (COD_TRE, R12), which the jury's deliberation writes. The state of deliberation
-- (ETA_AVC_VDI, R10's "etat delib") is not read here: it is a column of
-- GRP_RESULTAT_VDI, not RESULTAT_VDI (docs/apogee-sim.md). EXISTS stops at the first
-- such row; a year with none costs one pass over its RESULTAT_VDI rows (an index
-- leading with COD_ANU makes it a range scan), and only open years are probed.
-- Columns: COD_ANU, TEM_RES_DLB ('O' or 'N')
SELECT anu.cod_anu,
       CASE WHEN EXISTS (SELECT 1
                           FROM resultat_vdi res
                          WHERE res.cod_anu = anu.cod_anu
                            AND res.cod_adm = '1'
                            AND res.cod_tre IS NOT NULL)
            THEN 'O' ELSE 'N' END AS tem_res_dlb
  FROM annee_uni anu
 WHERE anu.eta_anu_iae = 'O'
 ORDER BY anu.cod_anu DESC
