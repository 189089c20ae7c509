-- R13 Delivery authorised: RESULTAT_VDI.TEM_DLV_AUT_VDI = 'O' for at least one
-- admission session (COD_ADM = 1) of the individual, diploma version and year.
-- Binds: :ind, :dip, :vrs, :year. Columns: NB
SELECT COUNT(*) AS nb
  FROM resultat_vdi res
 WHERE res.cod_ind = :ind
   AND res.cod_dip = :dip
   AND res.cod_vrs_vdi = :vrs
   AND res.cod_anu = :year
   AND res.cod_adm = '1'
   AND res.tem_dlv_aut_vdi = 'O'
