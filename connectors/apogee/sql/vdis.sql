-- R04 VDIs offered for a component and a year: linked to the component
-- (CMP_HABILITER_VDI), terminal or without intermediate diploma (VDI_NEC_OBT_VDI),
-- nature other than "absence de diplôme" (:nature, default 9), last habilitation
-- year >= the year. Label: LIB_WEB_VDI.
-- Binds: :cmp, :nature, :year. Columns: COD_DIP, COD_VRS_VDI, LIB_WEB_VDI
SELECT vdi.cod_dip, vdi.cod_vrs_vdi, vdi.lib_web_vdi
  FROM version_diplome vdi
  JOIN cmp_habiliter_vdi chv ON chv.cod_dip = vdi.cod_dip AND chv.cod_vrs_vdi = vdi.cod_vrs_vdi
  JOIN diplome dip ON dip.cod_dip = vdi.cod_dip
 WHERE chv.cod_cmp = :cmp
   AND chv.tem_en_sve_cvd = 'O'
   AND (vdi.tem_ter_vdi = 'O'
        OR NOT EXISTS (SELECT 1 FROM vdi_nec_obt_vdi nec
                        WHERE nec.cod_dip_sup = vdi.cod_dip AND nec.cod_vrs_vdi_sup = vdi.cod_vrs_vdi))
   AND (dip.cod_ndi IS NULL OR dip.cod_ndi <> :nature)
   AND vdi.daa_fin_hab_vdi >= :year
 ORDER BY vdi.lib_web_vdi, vdi.cod_dip, vdi.cod_vrs_vdi
