-- R05 One stage version: is it graduating (VERSION_ETAPE.TEM_DIP_VET = 'O'), and its label.
-- Binds: :etp, :vrs. Columns: TEM_DIP_VET, LIB_WEB_VET
SELECT vet.tem_dip_vet, vet.lib_web_vet
  FROM version_etape vet
 WHERE vet.cod_etp = :etp
   AND vet.cod_vrs_vet = :vrs
