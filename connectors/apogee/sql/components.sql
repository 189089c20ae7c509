-- R02 Components: the components where the user's type holds function TRAREF10
-- (attestations de réussite) in domain RE (collecte et diffusion des résultats).
-- Binds: :uti. Columns: COD_CMP, LIB_CMP
SELECT DISTINCT cmp.cod_cmp, cmp.lib_cmp
  FROM utilisateur uti
  JOIN typ_utilisateur tut ON tut.cod_tut = uti.cod_tut
  JOIN tut_avoir_droit_fct adf ON adf.cod_tut = tut.cod_tut
  JOIN uti_collecter_ctn ucc ON ucc.cod_uti = uti.cod_uti
  JOIN composante cmp ON cmp.cod_cmp = ucc.cod_cmp
 WHERE uti.cod_uti = :uti
   AND uti.tem_en_sve_uti = 'O'
   AND adf.cod_fct = 'TRAREF10'
   AND adf.cod_dom_fct = 'RE'
 ORDER BY cmp.cod_cmp
