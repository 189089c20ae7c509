-- R16 Signature (SQLite, embedded Apogée): same as signature.oracle.sql, with the
-- demo's pkb_cry1_decryptlob function standing for PKB_CRY1.decryptLob.
-- Binds: :sig, :key. Columns: COD_SIG, NOM_SIG, QUA_SIG, IMG, STAMP
SELECT sig.cod_sig, sig.nom_sig, sig.qua_sig,
       pkb_cry1_decryptlob(CASE WHEN std.tem_ces_std = 'T' THEN std.img_tam_std ELSE std.img_sig_std END,
                           :key) AS img,
       CASE WHEN std.tem_ces_std = 'T' OR std.img_tam_std IS NULL THEN NULL
            ELSE pkb_cry1_decryptlob(std.img_tam_std, :key) END AS stamp
  FROM signataire sig
  LEFT JOIN sign_tamp_digitalise std ON std.cod_sig = sig.cod_sig
 WHERE sig.cod_sig = :sig
