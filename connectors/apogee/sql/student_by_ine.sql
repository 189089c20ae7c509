-- StudentByINE: the student number of an INE (HubEE requests that carry only the INE).
-- INDIVIDU.COD_NNE_IND holds the INE without its key, COD_CLE_NNE_IND the key.
-- Binds: :nne (10 characters), :cle (the key). Columns: COD_ETU
SELECT ind.cod_etu
  FROM individu ind
 WHERE ind.cod_nne_ind = :nne
   AND ind.cod_cle_nne_ind = :cle
   AND ind.cod_etu IS NOT NULL
