-- R03 OpenYears: years open in Apogée (ANNEE_UNI.ETA_ANU_IAE = 'O'), newest first, each
-- with whether Apogée holds deliberated admission results for it (the wizard
-- preselects the newest such year, issue 16 item 15): an admission result (COD_ADM = 1,
-- R11) with a result type (COD_TRE, R12) whose result group's deliberation is over
-- (GRP_RESULTAT_VDI.ETA_AVC_VDI = 'T', R10's "etat delib"; the group is keyed by VDI,
-- year, session and admission, docs/apogee-sim.md). Results of a jury still sitting
-- ('E') do not count: R10 would exclude every student of such a year. EXISTS stops at
-- the first such row; a year with none costs one pass over its RESULTAT_VDI rows (an
-- index leading with COD_ANU makes it a range scan) plus a primary-key probe of
-- GRP_RESULTAT_VDI per candidate, and only open years are probed.
-- Columns: COD_ANU, TEM_RES_DLB ('O' or 'N')
SELECT anu.cod_anu,
       CASE WHEN EXISTS (SELECT 1
                           FROM resultat_vdi res, grp_resultat_vdi grp
                          WHERE res.cod_anu = anu.cod_anu
                            AND res.cod_adm = '1'
                            AND res.cod_tre IS NOT NULL
                            AND grp.cod_dip = res.cod_dip
                            AND grp.cod_vrs_vdi = res.cod_vrs_vdi
                            AND grp.cod_anu = res.cod_anu
                            AND grp.cod_ses = res.cod_ses
                            AND grp.cod_adm = res.cod_adm
                            AND grp.eta_avc_vdi = 'T')
            THEN 'O' ELSE 'N' END AS tem_res_dlb
  FROM annee_uni anu
 WHERE anu.eta_anu_iae = 'O'
 ORDER BY anu.cod_anu DESC
