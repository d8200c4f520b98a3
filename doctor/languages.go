package doctor

import "strings"

// Servers answer in their users' languages: a framework localises its
// refusals (Symfony's security translations, Payload's, ABP's), and
// Chinese, Japanese, Korean, Russian, Spanish, Portuguese, German, French,
// Italian, Turkish, Polish, Indonesian and Vietnamese APIs speak their
// own. These are the phrase families of the lexicon's causes in those
// languages: the words for a token, a key, a password, a session, a
// signature beside the words for expired, invalid, missing, locked,
// forbidden, too many requests. Each family joins
// the rules beside the English one of its cause (lexicon.go), so
// precedence is the same in every language; testdata/lexicon.yaml cites
// the real messages they were learned from. Phrases are matched
// case-insensitively (Cyrillic and accented letters fold too) on the
// statement with full-width forms narrowed (narrow); between CJK words
// they allow spaces or none ("API 密钥", "API密钥"); \b and \w are ASCII's,
// so words of other scripts are \pL runs.

// The words for a bearer credential (a token, an access token,
// credentials) in each language.
const (
	zhToken = `(令牌|token|凭证|凭据|憑證|憑據|访问令牌|訪問令牌|jwt|access ?token)`
	jaToken = `(トークン|アクセストークン|token|jwt|認証情報|資格情報|資格|クレデンシャル)`
	koToken = `(토큰|token|jwt|자격 ?증명|인증 ?정보|액세스 ?토큰)`
	ruToken = `(токен\pL*|oauth-токен\pL*|jwt|(учетн|учётн|аутентификационн)\pL* данн\pL*)`
	esToken = `(token|credencial(es)?|jwt)`
	ptToken = `(token|credencia(l|is)|jwt)`
	deToken = `(token|zugangsdaten|anmeldedaten|anmeldeinformationen|zugriffstoken|jwt)`
	frToken = `(jeton|token|identifiants?|informations d.identification|jwt)`
	trToken = `(token|jeton|fiş|kimlik bilgileri|erişim anahtarı)`
)

// foreignInvalidOrExpired: lists of causes ("invalid or expired"), which
// name no one cause.
var foreignInvalidOrExpired = []string{
	`(无效|無效)或(已)?(过期|過期)`, `(过期|過期)或(无效|無效)`,
	`無効(、)?(または|もしくは|か)(、)?(有効期限|期限)`, `(有効期限切れ|期限切れ)(、)?(または|もしくは|か)(、)?無効`,
	`유효하지 않거나\s*만료`, `만료되었거나\s*유효하지 않`,
	`недействител\pL* или (просроч|ист[её]к|срок)`, `либо недействител\pL*,? либо (срок|просроч|ист[её]к)`, `(просрочен|ист[её]к)\pL* или недействител`,
	`(inv[aá]lid[oa]s?|no v[aá]lid[oa]s?) o (ya )?(ha )?(expir|caduc|venc)`, `(expirad|caducad|vencid)[oa]s? o (inv[aá]lid|no v[aá]lid)`,
	`(inv[aá]lid[oa]s?|expirad[oa]s?) ou (inv[aá]lid|expirad)`,
	`(ung[uü]ltig|fehlerhaft)\pL* oder (bereits )?abgelaufen`, `abgelaufen\pL* oder ung[uü]ltig`,
	`(invalide|non valide|pas valide),? ou (a |est )?expir`, `expir[eé]e?s?,? ou (invalide|non valide)`,
	`geçersiz veya süresi dolmuş`, `süresi dolmuş veya geçersiz`,
	`nieprawidłow\pL* lub wygas`, `wygas\pL* lub nieprawidłow`, `tidak valid atau (sudah |telah )?(kedaluwarsa|kadaluarsa)`, `(kedaluwarsa|kadaluarsa) atau tidak valid`,
	`không hợp lệ hoặc (đã )?(hết hạn|quá hạn)`, `(hết hạn|quá hạn) hoặc không hợp lệ`,
	`(ungültig|invalide|inválid|no válid|недействительн)\S* (oder|ou|o|или) (abgelaufen|expiré|expirad|просрочен)`, `(过期|過期|无效|無效|失效|不正确|不合法)\S{0,3}或者?\S{0,3}(过期|過期|无效|無效|失效|不正确|不合法)`,
}

// foreignIPNotAllowed: the caller's address is not on the list.
var foreignIPNotAllowed = []string{
	`\bip\b.{0,12}(不在|未在|未加入|不属于|不屬於).{0,8}(白名单|白名單|允许|允許)`, `白名单|白名單`, `(禁止|非法|未授权|未授權|不允许|不允許|受限)的?\s*ip\b`,
	`\bip\s*(地址)?\s*(被禁止|被禁|受限|不允许|不允許|未授权|未授權|被拒绝|被封|没有绑定|沒有綁定|未绑定|未綁定)`, `\bip\b.{0,40}(不允许|不允許|禁止)(访问|訪問)`,
	`\bip\s*アドレス.{0,20}(許可されていません|拒否|制限|ブロック|登録されていません)`, `(許可されていない|不正な|未登録の)\s*ip\b`, `\bip\s*制限`,
	`\bip\b.{0,20}(허용되지 않|차단|거부|등록되지 않)`, `허용되지 않은\s*ip\b`, `\bip\s*화이트\s*리스트`,
	`\bip\b(-адрес\pL*)?.{0,30}(не разреш|запрещ|заблокирован|не входит|отсутствует в|не в (белом )?списке)`, `(запрещ[её]нн|недопустим|неразреш[её]нн|заблокированн)\pL* ip\b`, `бел\pL+ спис\pL+`,
	`\bip\b.{0,30}(no (est[aá] )?(permitid|autorizad|habilitad)|bloquead|denegad)`, `lista blanca`,
	`\bip\b.{0,30}(n[aã]o (est[aá] )?(permitid|autorizad|liberad)|bloquead|n[aã]o (est[aá] )?cadastrad)`, `lista (branca|de ips? permitid)`,
	`\bip\b(-adresse)?.{0,30}(nicht (erlaubt|zugelassen|freigegeben|berechtigt|gestattet)|gesperrt|blockiert)`, `(unzul[aä]ssige|nicht erlaubte|gesperrte|unbekannte) ip\b`,
	`\bip\b.{0,30}(non autoris[eé]e|n.est pas autoris[eé]e|bloqu[eé]e|interdite|refus[eé]e)`, `liste blanche`,
	`\bip\b.{0,30}(izin verilmiyor|engellen)`, `izin verilmeyen ip\b`, `beyaz liste`,
	`\bip\b.{0,30}(niedozwolon|zablokowan|nie (jest )?(dozwolon|autoryzowan|na liście))`, `\bip\b.{0,30}(tidak diizinkan|diblokir|tidak terdaftar)`,
	`\bip\b.{0,30}(không được phép|bị chặn|không nằm trong)`,
}

// foreignAccountLocked: a lockout after failed attempts.
var foreignAccountLocked = []string{
	`(帐号|账号|帳號|账户|帳戶|用户|用戶).{0,20}(锁定|鎖定|冻结|凍結)`, `(登录|登入|登錄|密码|密碼|认证|認證).{0,8}(次数过多|次數過多|次数超过|次數超過)`, `(失败|失敗|错误|錯誤)的?次数过多`,
	`ロックされ`, `(ログイン)?試行回数(が多すぎ|を超え)`, `一時的に無効`,
	`(계정|사용자).{0,30}잠(겼|금|김)`, `(로그인|인증)\s*(시도|실패)\s*횟수`,
	`(учетн|учётн|аккаунт|пользовател)\pL*\s.{0,20}заблокирован`, `слишком много (неудачных )?попыток`,
	`(cuenta|usuario)\s.{0,40}bloquead[oa]`, `demasiados intentos`,
	`(conta|usu[aá]rio)\s.{0,40}(bloquead|travad)[oa]`, `muitas tentativas`,
	`(account|konto|benutzer|benutzerkonto)\s.{0,40}gesperrt`, `zu viele (fehlgeschlagene |ung[uü]ltige )?(anmeldeversuche|versuche)`,
	`(compte|utilisateur)\s.{0,50}(bloqu[eé]|verrouill[eé])`, `(trop de|plusieurs) tentatives`, `trop grand nombre de tentatives`,
	`kilitlen`, `çok fazla (hatalı |başarısız )?(giriş|deneme)`,
	`(konto|użytkownik)\s.{0,40}zablokowan`, `zbyt (dużo|wiele) (nieudanych )?prób`, `(akun|pengguna)\s.{0,40}terkunci`, `terlalu banyak (percobaan|upaya)`,
	`(tài khoản|người dùng)\s.{0,20}bị khóa`, `(sai|thất bại) (quá )?nhiều lần`,
	`(konto|account)\S* .{0,20}gesperrt`, `compte .{0,30}(bloqué|verrouillé)`, `(cuenta|conta)( \S+){0,3} (está )?(bloquead|travad)`, `account .{0,30}bloccat`,
	`アカウント.{0,10}ロック`, `(帐号|账号|帳號|账户|帳戶).{0,6}(锁定|鎖定|封禁|禁止访问)`, `(учетн|учётн|аккаунт).{0,30}заблокирован`, `zu viele .{0,30}(anmelde|login)versuche`,
	`tentatives de connexion ont échoué`, `trop de tentatives`, `troppi tentativi`, `ログイン試行回数`,
	`слишком много .{0,20}попыток`,
}

// foreignRequestSignature: the signature of the request (an HMAC over it).
var foreignRequestSignature = []string{
	`(请求|請求)\s*(签名|簽名)`, `签名错误|簽名錯誤|验签(失败|出错|错误)|驗簽(失敗|錯誤)`,
	`リクエスト署名`, `요청 서명`, `подпис\pL* запроса`, `firma de (la )?(solicitud|petici[oó]n)`, `assinatura da requisi[cç][aã]o`,
	`anfragesignatur|signatur der anfrage`, `signature de la requ[eê]te`,
}

// foreignTokenSignature: the token's signature does not verify.
var foreignTokenSignature = []string{
	`(签名|簽名)\s*(无效|無效|验证失败|驗證失敗|校验失败|校驗失敗|不匹配|不正确|不正確)`, `(无效|無效)的\s*(签名|簽名)`,
	`署名(が)?(無効|不正|一致しません|検証に失敗)`, `서명(이|가)?\s*(유효하지 않|잘못|일치하지 않|검증에 실패)`,
	`(неверн|недействительн|некорректн)\pL* подпис`, `подпис\pL* (недействительн|неверн|не совпада)`,
	`firma\s.{0,20}(inv[aá]lid|no v[aá]lid|incorrect|no coincide)`, `assinatura\s.{0,20}(inv[aá]lid|incorret|n[aã]o confere|n[aã]o corresponde)`,
	`(ung[uü]ltig|fehlerhaft|falsch)\pL* signatur`, `signatur\s.{0,20}(ung[uü]ltig|stimmt nicht|fehlgeschlagen)`,
	`signature\s.{0,20}(invalide|incorrecte|non valide|ne correspond pas)`, `imza\s.{0,10}(geçersiz|doğrulanamadı)`, `geçersiz imza`,
	`nieprawidłow\pL* podpis`, `podpis\pL*\s.{0,20}(nieprawidłow|niepoprawn)`, `tanda tangan\s.{0,20}(tidak valid|salah)`, `chữ ký\s.{0,20}(không hợp lệ|không đúng|sai)`,
}

// foreignRevoked: an account, client or key switched off.
var foreignRevoked = []string{
	`(帐号|账号|帳號|账户|帳戶|用户|用戶|密钥|令牌|token|key).{0,6}(已被|已|被)\s*(禁用|停用|注销|注銷|吊销|吊銷|撤销|撤銷)`,
	`(アカウント|クライアント|ユーザー)(が|は)?(無効(になって|化|に)|無効です|停止)`,
	`(계정|사용자|클라이언트)(이|가)?\s*(비활성화|정지)`,
	`(учетн|учётн|аккаунт|пользовател|ключ|токен)\pL*\s.{0,10}(отключен|деактивирован|отозван)`,
	`(cuenta|usuario|clave|token)\s.{0,10}(deshabilitad|desactivad|revocad|suspendid)[oa]`,
	`(conta|usu[aá]rio|chave|token)\s?.{0,10}(desativad|desabilitad|revogad|suspens)[oa]`,
	`(account|konto|benutzer|schl[uü]ssel|token)\s.{0,10}(deaktiviert|widerrufen)`,
	`(compte|utilisateur|cl[eé]|jeton)\s.{0,10}(d[eé]sactiv[eé]|r[eé]voqu[eé]|suspendu)`,
	`(hesap|kullanıcı)\pL*\s.{0,10}(devre dışı|askıya|engellen)`,
	`(konto|użytkownik|klucz|token)\pL*\s.{0,10}(wyłączon|dezaktywowan|unieważnion)`, `(akun|pengguna|kunci|token)\s.{0,10}(dinonaktifkan|dicabut)`,
	`(tài khoản|khách hàng|người dùng)\s.{0,10}(bị )?(tạm ngừng|vô hiệu hóa|vô hiệu hoá|thu hồi)`,
	`(konto|account|benutzer)\S* .{0,20}deaktiviert`, `(compte|client)\S* .{0,30}désactivé`, `(cuenta|usuario) .{0,30}deshabilitad`,
	`(conta|usuário) (está )?(desativad|desabilitad)`, `(account|utente) .{0,20}disabilitat`, `(учетн|учётн|пользовател)\S* .{0,20}отключен`, `(帐号|账号|用户)已被禁用`, `已被(踢|顶)下线`,
	`アカウントが無効`,
}

// foreignExpired: a token, key or session past its lifetime.
var foreignExpired = []string{
	`(令牌|token|凭证|凭据|憑證|密钥|密鑰|key|会话|會話|session|登录|登錄|授权|授權)\s*(已经|已經|已)?\s*(过期|過期|超时|超時)`, `(过期|過期)的\s*(令牌|token|凭证|会话|密钥)`,
	`(有効期限|期限)(が|は)?(切れ|過ぎ)`, `有効期限切れ`, `期限切れ`, `(再度|もう一度|再)\s*ログイン`, `(ログイン|セッション)・?タイムアウト`,
	`(토큰|token|세션|키|자격 ?증명|인증)(이|가|은|는)?\s*만료`, `만료된\s*(토큰|token|세션|키)`, `다시 로그인`,
	`(срок|время) (действия|жизни).{0,40}(ист[её]к|истекло|закончил)`, `(токен|сесси|сеанс|ключ)\pL*\s.{0,20}(ист[её]к\pL*|просрочен\pL*|устарел\pL*)`, `просроченн\pL* (токен|ключ|сесси)`,
	`(token|sesi[oó]n|clave|llave|credencial(es)?)\s.{0,30}(expirad[oa]s?|caducad[oa]s?|vencid[oa]s?|expir[oó]|caduc[oó]|venci[oó])`, `(expirad|caducad|vencid)[oa]s? (token|sesi[oó]n|clave|credencial)`,
	`(token|sess[aã]o|chave|credencia(l|is))\s.{0,30}(expirad[oa]s?|expirou|vencid[oa]s?|venceu)`, `(expirad|vencid)[oa] (token|sess)`,
	`(token|sitzung|session|schl[uü]ssel|zugangsdaten|anmeldedaten|anmeldung|api-key)\pL*\s.{0,30}(abgelaufen|verfallen)`, `abgelaufene[rns]? (token|sitzung|session|schl[uü]ssel)`,
	`(jeton|token|session|cl[eé]|identifiants?)\s.{0,30}(expiré|(a|ont|est|sont) expir|p[eé]rim[eé])`,
	`(token|jeton|oturum|anahtar|kimlik bilgi)\pL*\s.{0,20}(süresi (dol|geç)|sona er|zaman aşımı)`, `süresi dolmuş (token|jeton|oturum|anahtar)`,
	`(token\pL*|sesj\pL*|klucz\pL*|dane uwierzytelniania|dane logowania)\s.{0,30}(wygas|wygaś|przeterminowan)`,
	`(token|sesi|kunci|kredensial)\s.{0,30}(kedaluwarsa|kadaluarsa|telah berakhir|sudah berakhir)`, `(token|phiên|khóa|thông tin xác thực)\s.{0,40}(hết hạn|quá hạn)`,
	`abgelaufen`, `expir(é|ó|ou|ad[oa])`, `scadut[oaie]`, `有効期限`, `过期|過期`, `исте[кч]|истёк|просрочен`,
}

// foreignMissing: nothing, or nothing usable, arrived; or the caller must
// sign in.
var foreignMissing = []string{
	`(未|没有|沒有|缺少|未能)\s*(提供|携带|攜帶|传入|傳入|读取到|讀取到|找到|获取到|獲取到|检测到|檢測到)?.{0,8}` + zhToken, `找不到\s*` + zhToken,
	zhToken + `\s*(为空|為空|不能为空|不能為空|缺失)`, `未登录|未登錄|未登入|请先登录|請先登入|请登录|請登錄|需要登录|尚未登录|必须登录|必須登入`,
	`未通过身份验证|未通過身份驗證|未认证|未認證|需要进行身份认证|需要進行身份認證`,
	jaToken + `(が|は)?(ありません|見つかりません|提供されていません|指定されていません|含まれていません)`, `ログイン(が)?必要`, `認証されていません`,
	koToken + `(이|가)?\s*(제공되지 않|없습니다|누락|필요)`, `로그인(이)?\s*필요`, `로그인해야`, `인증되지 않았습니다`,
	ruToken + `\s.{0,10}не (найден|предоставлен|передан|указан)`, `отсутству\pL* (токен|ключ|заголов)`,
	`(должны|необходимо|нужно|требуется)\s+(войти|авторизоваться|выполнить вход|аутентифицироваться)`,
	`no se encontr(ó|o|aron) (ning[uú]n |las |los |el )?` + esToken, esToken + `\s.{0,30}(no (fue |fueron )?(proporcionad|enviad|incluid|especificad)|faltante|requerid|es obligatori)`,
	`falta (el |la )?(token|credencial|api ?key|clave|cabecera|encabezado)`, `(debes|debe|deber[ií]as?|necesitas|tienes que) (iniciar sesi[oó]n|autenticarte|estar autenticad)`, `no est[aá]s? autenticad`,
	ptToken + `\s.{0,30}(n[aã]o (foi |foram )?(fornecid|encontrad|informad|enviad)|ausente|obrigat[oó]ri)`, `nenhum token`,
	`(deve|precisa|tem que) (estar logad|autenticar|fazer login|estar autenticad)`, `n[aã]o (est|et)[aá] autenticad`,
	`keine?\pL*\s+` + deToken + `\s.{0,20}(gefunden|angegeben|[uü]bermittelt|bereitgestellt|vorhanden)`, deToken + `\pL*\s.{0,10}(nicht (bereitgestellt|angegeben|[uü]bermittelt|gefunden)|fehlt)`,
	`nicht (authentifiziert|angemeldet)`, `(m[uü]ssen|musst|sollten|solltest) (dich |sich )?(angemeldet sein|anmelden|authentifizieren)`,
	`(aucun|aucune|pas de) (jeton|token|identifiant)`, frToken + `\s.{0,40}(non fourni|manquant|absent|n.ont pas pu [eê]tre trouv)`,
	`(devez|devriez|doit) (vous )?(vous connecter|[eê]tre connect[eé]|[eê]tre authentifi[eé]|vous authentifier)`, `n.[eê]tes pas authentifi[eé]`,
	trToken + `\s+(sağlanmadı|gönderilmedi|bulunamadı|eksik|girilmedi)`, `giriş yapmalısınız|giriş yapın|giriş yapılmamış|oturum açmalısınız`,
	`(nie znaleziono|brak) (tokenu|tokena|danych uwierzytelniania|klucza)`,
	`(token|dane uwierzytelniania|klucz)\pL*\s.{0,20}nie (został\pL* )?(dostarczon|znalezion|podan|przesłan)`, `musisz (być zalogowan|się zalogować)`, `nie jesteś zalogowan`,
	`(token|kredensial)\s.{0,30}(tidak (bisa |dapat )?ditemukan|tidak disediakan|tidak diberikan)`, `tidak ada token`, `harus (masuk|login)`,
	`không tìm thấy (mã )?(token|thông tin)`, `thông tin dùng để xác thực không tìm thấy`, `(không có|thiếu) (mã )?token`, `(cần|phải) (phải )?đăng nhập`,
	`chưa (được )?xác thực|chưa đăng nhập`,
	`keine (zugangsdaten|anmeldedaten)`, `kein token`, `aucun jeton`, `identifiants .{0,40}pas pu être trouvés`, `no se encontr\S+ .{0,30}(credenciales|token)`,
	`ningún token`, `impossibile trovare le credenziali`, `nessun token`, `credenciais .{0,30}não foram encontradas`, `(認証資格|認証情報|トークン)が(ありません|見つかりません)`,
	`(没有找到|找不到|未能读取到).{0,20}(凭证|token|令牌)`, `(令牌|token|凭证)\s?不能为空`, `未登录|未登入`, `(данные|токен) не найден`,
}

// foreignScope: the credential is known, and not allowed this.
var foreignScope = []string{
	`(无|沒有|没有|無)(此)?\s*(权限|權限)`, `(权限|權限)不足`, `无权|無權`, `不允许执行|不允許執行`,
	`権限がありません`, `権限が不足`, `不十分な(パーミッション|権限)`, `許可されていません`,
	`권한이 없`, `권한(이)?\s*부족`,
	`(нет|отсутствуют|недостаточно) (прав|полномочий|разрешени)`, `не имеете права`, `нет права`, `у вас нет доступа к`,
	`no tienes? (permiso|permisos|privilegios|autorizaci[oó]n|permitido)`, `no est[aá]s? autorizad[oa] para`, `permisos insuficientes`,
	`n[aã]o tem (permiss[aã]o|autoriza)`, `sem (privil[eé]gio|permiss[aã]o)`, `permiss(ão|ões|ao|oes) insuficientes?`, `n[aã]o est[aá] autorizad[oa] a`,
	`keine (berechtigung|rechte|befugnis)`, `(unzureichende|fehlende|nicht ausreichende) (berechtigung|rechte)`, `nicht berechtigt,? .{0,40}(zu|durchzuf|auszuf)`,
	`d[uü]rfen .{0,40}nicht (aus|durch)f[uü]hren`,
	`n.[eê]tes pas autoris[eé]e? [aà]`, `non autoris[eé]e? [aà] (effectuer|acc[eé]der)`, `privil[eè]ges insuffisants`, `(permissions?|droits) insuffisant`,
	`(izn|yetki)(iniz|niz)? yok`, `(izne|yetkiye|imtiyaz)\pL* (sahip değil|bulunamadı)`,
	`brak uprawnień`, `nie masz uprawnień`, `nie możesz wykonać`, `niewystarczające uprawnienia`, `tidak (diizinkan|berhak|memiliki (izin|akses|hak))`, `không (có|đủ) quyền`,
	`không được phép (yêu cầu|thực hiện|truy cập)`,
	`keine (rechte|berechtigung)`, `(privilèges|droits|permissions) insuffisant(e)?s`, `nicht genügend (rechte|berechtigungen)`, `no tiene (privilegios|permisos)`,
	`sem (privilégio|permissão)`, `non hai i privilegi`, `无此(权限|角色)|没有权限|无权限|权限不足`, `(отсутствуют|нет|недостаточно) прав`,
}

// foreignRateLimit: too many requests, said in Chinese.
var foreignRateLimit = []string{
	`(过于|太)频繁`, `频率过高`, `控制请求频率`, `速率限制`, `并发数?过高`, `访问量过大`, `超限`,
}

// foreignUnknown: a key or user the server does not know.
var foreignUnknown = []string{
	`(密钥|密鑰|秘钥|api ?key|appkey|key|app ?id|appid|access ?key( ?id)?|secret ?id|x-ti-app-id)\s*(不存在|无效|無效|错误|錯誤|不正确|不正確|非法|未找到|找不到|有误|有誤)`,
	`(错误|錯誤|无效|無效|非法|未知)的\s*(请求)?\s*(密钥|key|api ?key|appkey|app ?id|appid)`, `找不到用户|用户不存在|用戶不存在|找不到用戶`,
	`(apiキー|キー|アクセスキー|クライアント|ユーザー名?|ユーザ)(が|は)?(見つかりません|存在しません|不明)`, `(apiキー|アクセスキー)(が|は)?(無効|不正|正しくありません)`,
	`(api ?키|앱 ?키|appkey|사용자|계정|클라이언트)(를|을|가|이)?\s*(찾을 수 없|존재하지 않)`, `유효하지 않은\s*(api ?키|앱 ?키|appkey)`,
	`(ключ|api[- ]?ключ|пользовател\pL*|имя пользователя|клиент)\s.{0,10}не (найден|существует)`, `(неверн|недействительн|неизвестн)\pL* (api[- ]?)?ключ`,
	`no se encontr[oó] (el )?(nombre de )?usuario`, `(clave|llave|api ?key)( de api)?\s.{0,10}(no existe|no encontrad|desconocid|inv[aá]lid|no v[aá]lid|incorrect)`,
	`(chave|api ?key|nome de usu[aá]rio|usu[aá]rio)( de api)?\s.{0,10}(n[aã]o (encontrad|existe)|desconhecid|inv[aá]lid)`,
	`(api-?schl[uü]ssel|schl[uü]ssel|api-key|benutzername|benutzer)\s.{0,20}(nicht gefunden|existiert nicht|unbekannt)`, `(ung[uü]ltig|unbekannt)\pL*\s+(api-?schl[uü]ssel|api-key)`,
	`(cl[eé]( d.api| api)?|api[- ]?key|nom d.utilisateur|utilisateur)\s.{0,30}(introuvable|inconnue?|n.a pas pu [eê]tre trouv|n.existe pas|invalide)`,
	`kullanıcı adı bulunamadı`, `(api anahtarı|anahtar)\s.{0,10}(geçersiz|bulunamadı)`,
	`(użytkownik|klucz\pL*( api)?|klient)\s.{0,30}(nie istnieje|nie został\pL* znalezion|nieznan)`,
	`(username|nama pengguna|pengguna|kunci api|api key)\s.{0,30}(tidak (bisa |dapat )?ditemukan|tidak terdaftar|tidak dikenal)`,
	`không tìm thấy (tên )?(người dùng|khách hàng|khóa api)`, `(người dùng|khóa api)\s.{0,20}không tồn tại`,
}

// foreignRejected: a generic rejection of the credentials.
var foreignRejected = []string{
	zhToken + `\s*(无效|無效|错误|錯誤|不正确|不正確|非法|失效|验证失败|驗證失敗|校验失败|校驗失敗)`, `(无效|無效|错误|錯誤|非法)的\s*` + zhToken,
	`(密码|密碼).{0,6}(错误|錯誤|不正确|不正確|无效|無效)`, `认证失败|認證失敗|身份验证失败|身份驗證失敗|鉴权失败|鑒權失敗`,
	jaToken + `(が|は)?(無効|不正|正しくありません|間違って)`, `無効な(トークン|認証情報|資格情報|パスワード|ユーザー名またはパスワード)`,
	`パスワード.{0,6}(正しくありません|無効|間違)`, `認証(に)?失敗`,
	koToken + `(이|가|은|는)?\s*(유효하지 않|잘못|올바르지 않|일치하지 않)`, `유효하지 않은\s*` + koToken, `(비밀번호|패스워드|암호)(가|이|는)?\s*(올바르지 않|잘못|일치하지 않|틀)`, `잘못된\s*(사용자 ?이름 또는 )?(비밀번호|패스워드|암호|토큰|자격 ?증명)`, `인증(에)?\s*실패`,
	`(недействительн|неверн|неправильн|некорректн|невалидн)\pL*\s+` + ruToken, ruToken + `\s.{0,20}(недействител|неверн|неправильн|некорректн|невалид)`,
	`пароль\s.{0,20}(неверен|неверный|неправильн)`, `(неверн|неправильн)\pL* (логин|пароль|имя пользователя)`, `логин или пароль`,
	esToken + `\s.{0,25}(no (es |son )?v[aá]lid|inv[aá]lid|incorrect|err[oó]ne)`, `contrase[nñ]a\s.{0,20}(incorrect|inv[aá]lid|err[oó]ne)`,
	ptToken + `\s.{0,25}(inv[aá]lid|incorret|errad|n[aã]o (é|s[aã]o) v[aá]lid)`, `senha\s.{0,25}(incorret|inv[aá]lid|errad)`,
	`(ung[uü]ltig|fehlerhaft|falsch)\pL*\s+` + deToken, deToken + `\s.{0,25}(ung[uü]ltig|falsch|nicht korrekt|inkorrekt|fehlerhaft)`, `passwort\s.{0,25}(ung[uü]ltig|falsch|nicht korrekt)`,
	`(authentifizierung|anmeldung) fehlgeschlagen`,
	frToken + `\s.{0,30}(invalide|incorrect|non valide|n.est pas valide|erron[eé])`, `mot de passe\s.{0,25}(invalide|incorrect)`, `[eé]chec de l.authentification`,
	`geçersiz ` + trToken, trToken + `\s.{0,15}(geçersiz|hatalı|yanlış)`, `(parola|şifre) (hatalı|yanlış|geçersiz)`,
	`nieprawidłow\pL* (token|dane|hasło|login|klucz dostępu)`, `(token|hasło|dane)\pL*\s.{0,25}(nieprawidłow|niepoprawn|błędn)`,
	`(token|kredensial|kata sandi|password)\s.{0,25}(tidak valid|salah|tidak sah)`,
	`(token|thông tin (dùng để )?xác thực|mật khẩu)\s.{0,25}(không hợp lệ|không chính xác|không đúng|sai)`,
	`(ungültig|fehlerhaft|falsch)\S* (benutzername|anmeldedaten|zugangsdaten|token|passwort)`, `(identifiants|mot de passe) (invalide|incorrect)`,
	`credenziali (non valide|errate)`, `(credenciales|contraseña) (no válidas|inválidas|erróneas|incorrectas)`, `(credenciais|senha) (inválid|incorret)`, `無効です`,
	`无效的?\s?(凭证|token|令牌)`, `(凭证|token|令牌)\s?无效`, `недействительн\S* .{0,40}(данные|токен|пароль)`,
}

// foreignBare: refusals that say no cause ("Доступ запрещён", "禁止访问",
// "Acceso denegado"); bareRefusal marks them bare when alone.
var foreignBare = []string{
	`禁止访问|禁止訪問|访问被拒绝|訪問被拒絕|拒绝访问|拒絕訪問|未经授权|未經授權|未授权|未授權|未获得授权|未獲得授權|^\s*禁止\s*$`,
	`アクセス(が)?拒否|アクセス禁止|アクセスがありません|未認証|認証エラー`,
	`접근(이)?\s*(거부|금지)|액세스(가)?\s*거부|권한 없음|인증되지 않음`,
	`доступ запрещ[её]н|в доступе отказано|нет доступа|не авториз|неавторизованн|ошибка (аутентификации|авторизации)`,
	`acceso (denegado|prohibido)|no autorizad[oa]|prohibid[oa]|no est[aá]s autorizad[oa]|error de autenticaci[oó]n`,
	`acesso (negado|proibido)|n[aã]o autorizad[oa]|proibid[oa]`,
	`zugriff verweigert|nicht autorisiert|unzul[aä]ssig|verboten|nicht berechtigt`,
	`acc[eè]s (refus[eé]|interdit)|non autoris[eé]e?|interdit|n.[eê]tes pas autoris[eé]e?|exception d.authentification`,
	`yetkisiz|erişim reddedildi|yasak|izinsiz`,
	`brak dostępu|dostęp zabroniony|odmowa dostępu|nieautoryzowan|brak autoryzacji|zabronion`, `akses ditolak|tidak sah|dilarang`,
	`không được phép|truy cập bị từ chối|từ chối truy cập|cấm|không có quyền truy cập`,
}

// foreignBareRefusal is the alternation of whole statements that only
// refuse, in other languages, for bareRefusal.
const foreignBareRefusal = `禁止访问|禁止訪問|访问被拒绝|訪問被拒絕|拒绝访问|拒絕訪問|未经授权|未經授權|未授权|未授權|您未获得授权|您未獲得授權|禁止|请求未授权|` +
	`アクセス(が|は)?拒否されました|アクセス禁止|アクセスがありません|未認証|認証エラーが発生しました|` +
	`접근(이)?\s*(거부(됨|되었습니다)?|금지)|액세스(가)?\s*거부되었습니다|(접근 )?권한 없음|인증되지 않음|` +
	`доступ запрещ[её]н|в доступе отказано|нет доступа|неавторизованн\pL*|вы не авториз\pL*|ошибка (аутентификации|авторизации)|` +
	`acceso (denegado|prohibido)|no autorizad[oa]|prohibid[oa]|(t[uú] )?no est[aá]s autorizad[oa]|` +
	`acesso (negado|proibido)|n[aã]o autorizad[oa]|proibid[oa]|` +
	`zugriff verweigert|nicht autorisiert|unzul[aä]ssig|verboten|(sie sind )?nicht berechtigt|` +
	`acc[eè]s (refus[eé]|interdit)|non autoris[eé]e?|interdit|vous n.[eê]tes pas autoris[eé]e?|` +
	`yetkisiz( işlem)?|erişim reddedildi|yasak|izinsiz( işlem)?|` +
	`brak dostępu|dostęp zabroniony|odmowa dostępu|nieautoryzowan\pL*|brak autoryzacji|zabronion\pL*|akses ditolak|tidak sah|dilarang|` +
	`(bạn )?không được phép|cấm|truy cập bị từ chối|không có quyền truy cập`

// narrow maps full-width ASCII forms (ＡＰＩ, ：) to ASCII, the
// ideographic space to a space, as East Asian answers often write them,
// and Turkish's dotted capital İ, which folds to no other letter, to I
// (so "İzinsiz" matches "izinsiz").
func narrow(s string) string {
	if !strings.ContainsFunc(s, isWide) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r == 'İ':
			return 'I'
		case r >= '\uff01' && r <= '\uff5e':
			return r - 0xfee0
		}
		return r
	}, s)
}

// isWide reports whether r is a rune narrow maps.
func isWide(r rune) bool { return r == '\u3000' || r == 'İ' || r >= '\uff01' && r <= '\uff5e' }
