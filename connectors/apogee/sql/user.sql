-- User: the Apogée user (name and e-mail for the "campaign finished" mail).
-- Binds: :uti. Columns: COD_UTI, LIB_CMT_UTI, ADR_MAIL_UTI
SELECT uti.cod_uti, uti.lib_cmt_uti, uti.adr_mail_uti
  FROM utilisateur uti
 WHERE uti.cod_uti = :uti
   AND uti.tem_en_sve_uti = 'O'
