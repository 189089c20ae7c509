-- OpenYears: years open in Apogée (ANNEE_UNI.ETA_ANU_IAE = 'O'), newest first.
-- Columns: COD_ANU
SELECT anu.cod_anu
  FROM annee_uni anu
 WHERE anu.eta_anu_iae = 'O'
 ORDER BY anu.cod_anu DESC
