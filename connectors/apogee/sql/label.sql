-- R09 Official diploma label: five label parts (PERIODE_PARAM_EDITION, PREFIXE_INT +
-- VERSION_DIPLOME intitulés) then the parcours type (PARCOURS_TYPE), as stored.
-- Binds: :dip, :vrs, :year.
-- Columns: LIB1, LIB2, LIB3, LIB4, LIB5, LIB_PRT
SELECT ppe.lib_tit_ppe AS lib1,
       ppe.lib_dom_ppe AS lib2,
       TRIM(COALESCE(pr1.lib_prf, '') || ' ' || COALESCE(vdi.it1_vdi, '')) AS lib3,
       TRIM(COALESCE(pr2.lib_prf, '') || ' ' || COALESCE(vdi.it2_vdi, '')) AS lib4,
       TRIM(COALESCE(pr3.lib_prf, '') || ' ' || COALESCE(vdi.it3_vdi, '')) AS lib5,
       prt.lib_prt
  FROM version_diplome vdi
  LEFT JOIN periode_param_edition ppe
         ON ppe.cod_dip = vdi.cod_dip AND ppe.cod_vrs_vdi = vdi.cod_vrs_vdi
        AND :year BETWEEN ppe.daa_deb_ppe AND ppe.daa_fin_ppe
  LEFT JOIN prefixe_int pr1 ON pr1.cod_prf = vdi.cod_prf_1
  LEFT JOIN prefixe_int pr2 ON pr2.cod_prf = vdi.cod_prf_2
  LEFT JOIN prefixe_int pr3 ON pr3.cod_prf = vdi.cod_prf_3
  LEFT JOIN parcours_type prt ON prt.cod_prt = vdi.cod_prt
 WHERE vdi.cod_dip = :dip
   AND vdi.cod_vrs_vdi = :vrs
