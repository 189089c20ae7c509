-- R16 Signature (Oracle): signer and decrypted image. The image with stamp when
-- TEM_CES_STD = 'T' (as MonDossierWeb does), else the signature alone.
-- STAMP: the official stamp (IMG_TAM_STD) printed beside the signature, NULL when the
-- signer has none or when IMG already is IMG_TAM_STD (TEM_CES_STD = 'T').
-- Binds: :sig, :key. Columns: COD_SIG, NOM_SIG, QUA_SIG, IMG, STAMP
SELECT sig.cod_sig, sig.nom_sig, sig.qua_sig,
       PKB_CRY1.decryptLob(CASE WHEN std.tem_ces_std = 'T' THEN std.img_tam_std ELSE std.img_sig_std END,
                           UTL_RAW.cast_to_raw(:key)) AS img,
       CASE WHEN std.tem_ces_std = 'T' OR std.img_tam_std IS NULL THEN NULL
            ELSE PKB_CRY1.decryptLob(std.img_tam_std, UTL_RAW.cast_to_raw(:key)) END AS stamp
  FROM signataire sig
  LEFT JOIN sign_tamp_digitalise std ON std.cod_sig = sig.cod_sig
 WHERE sig.cod_sig = :sig
