-- R03 OpenYears: years open in Apogée (ANNEE_UNI.ETA_ANU_IAE = 'O'), newest first, each
-- with whether Apogée holds deliberated admission results for it (the wizard
-- preselects the newest such year, issue 16 item 15): a result as R10-R12 read it, an
-- admission result (COD_ADM = 1, R11) whose deliberation is finished (ETA_AVC_VDI = 'T',
-- the "etat delib T" of R10) with a result type (COD_TRE, R12). EXISTS stops at the
-- first such row; a year with none costs one pass over its RESULTAT_VDI rows (an index
-- leading with COD_ANU makes it a range scan), and only open years are probed.
-- Columns: COD_ANU, TEM_RES_DLB ('O' or 'N')
SELECT anu.cod_anu,
       CASE WHEN EXISTS (SELECT 1
                           FROM resultat_vdi res
                          WHERE res.cod_anu = anu.cod_anu
                            AND res.cod_adm = '1'
                            AND res.eta_avc_vdi = 'T'
                            AND res.cod_tre IS NOT NULL)
            THEN 'O' ELSE 'N' END AS tem_res_dlb
  FROM annee_uni anu
 WHERE anu.eta_anu_iae = 'O'
 ORDER BY anu.cod_anu DESC
