package doctor

import "testing"

// TestLexiconLanguages checks that the phrase families of languages.go
// generalise beyond the cited messages: the same causes in other words,
// spacing and case, in each language the doctor reads. These phrasings
// are the doctor's own and do not count in the lexicon's size.
func TestLexiconLanguages(t *testing.T) {
	tests := map[string][]string{
		string(TokenExpired): {"令牌已过期", "访问令牌已经过期，请重新获取", "Token 已過期", "アクセストークンの有効期限が切れています", "セッションの有効期限切れです",
			"토큰이 만료되었습니다", "액세스 토큰이 만료되었습니다", "Срок действия токена истёк", "Токен просрочен", "Сессия истекла",
			"token expirado", "El token ha caducado", "La sesión ha expirado", "O token expirou", "Sessão expirada",
			"Das Token ist abgelaufen", "Sitzung abgelaufen", "Le jeton a expiré", "Session expirée", "Token süresi doldu", "Oturum süresi dolmuş",
			"Sesja wygasła", "Token telah kedaluwarsa", "Phiên đăng nhập đã hết hạn"},
		string(CredentialsRejected): {"令牌无效", "无效的访问令牌", "用户名或密码错误", "認証に失敗しました", "トークンが無効です", "유효하지 않은 토큰입니다",
			"Неверный логин или пароль", "Недействительный токен", "Token inválido", "Credenciales incorrectas", "Credenciais inválidas",
			"Ungültige Zugangsdaten", "Passwort falsch", "Jeton invalide", "Mot de passe incorrect", "Geçersiz token", "Şifre hatalı",
			"令牌无效或已过期", "Token inválido o expirado", "Токен недействителен или просрочен", "Jeton invalide ou expiré",
			"Nieprawidłowe hasło", "Kata sandi salah", "Mật khẩu không đúng"},
		string(CredentialUnknown): {"API密钥不存在", "无效的 AppKey", "APIキーが見つかりません", "API 키를 찾을 수 없습니다", "ＡＰＩ　キーが見つかりません", "Ключ API не найден",
			"Clave de API no válida", "Chave de API inválida", "API-Schlüssel nicht gefunden", "clé API invalide", "Clé d'API inconnue", "API anahtarı geçersiz"},
		string(CredentialsMissing): {"缺少令牌", "未提供 token", "请先登录", "トークンが指定されていません", "ログインが必要です", "토큰이 누락되었습니다", "로그인이 필요합니다",
			"Токен не передан", "Необходимо авторизоваться", "Falta el token", "Debe iniciar sesión", "Token não informado",
			"Kein Token angegeben", "Sie müssen sich anmelden", "Aucun jeton fourni", "Vous devez être authentifié", "Token gönderilmedi",
			"Brak tokenu", "Anda harus login terlebih dahulu", "Thiếu token"},
		string(InsufficientScope): {"权限不足", "您没有权限执行此操作", "この操作を行う権限がありません", "권한이 부족합니다", "Недостаточно прав",
			"No tienes permisos para esta acción", "Permissão insuficiente", "Keine Berechtigung", "Droits insuffisants", "Yetkiniz yok",
			"Niewystarczające uprawnienia", "Anda tidak memiliki izin", "Bạn không đủ quyền"},
		string(ClientIPNotAllowed): {"IP地址不在白名单中", "非法的IP", "IP 1.2.3.4 不允许访问", "IPアドレスが許可されていません", "허용되지 않은 IP입니다",
			"IP-адрес не входит в белый список", "IP no permitida", "IP não autorizado", "IP-Adresse nicht erlaubt", "Adresse IP non autorisée", "IP adresine izin verilmiyor", "ＩＰ不在白名单",
			"Adres IP niedozwolony", "IP Anda diblokir", "Địa chỉ IP không được phép"},
		string(AccountLocked): {"账户已被锁定", "登录失败次数过多", "アカウントがロックされました", "계정이 잠겼습니다", "Аккаунт заблокирован", "Cuenta bloqueada",
			"Conta bloqueada", "Konto gesperrt", "Compte verrouillé", "Hesap kilitlendi", "Çok fazla başarısız deneme",
			"Konto zostało zablokowane", "Akun Anda terkunci", "Tài khoản của bạn đã bị khóa"},
		string(TokenSignatureInvalid): {"令牌签名无效", "JWT 签名验证失败", "署名が無効です", "서명이 유효하지 않습니다", "Неверная подпись токена",
			"Firma del token no válida", "Assinatura inválida", "Ungültige Signatur", "Signature du jeton invalide"},
		string(RequestSignatureInvalid): {"请求签名不匹配", "验签失败"},
		string(CredentialRevoked):       {"账号已被禁用", "アカウントが無効化されました", "계정이 정지되었습니다", "Учётная запись деактивирована", "Cuenta desactivada", "Konto deaktiviert", "Compte désactivé"},
		bareGroup: {"禁止访问", "访问被拒绝", "未授权", "アクセスが拒否されました", "접근이 거부되었습니다", "Доступ запрещён", "Доступ запрещен", "Acceso denegado",
			"Acesso negado", "Zugriff verweigert", "Accès refusé", "Erişim reddedildi", "403 Доступ запрещён", "Error: Acceso denegado", "YETKİSİZ",
			"Odmowa dostępu", "Akses ditolak", "Truy cập bị từ chối"},
	}
	checkReadAs(t, tests)
}

// TestLexiconLanguagesNotRead: words of the families inside other words
// or other senses do not name their cause ("equipo" holds no IP, a request
// timing out is no session timing out, "the token expires in" is no
// expiry).
func TestLexiconLanguagesNotRead(t *testing.T) {
	tests := map[string]Code{
		"El equipo no está autorizado para esta acción":      ClientIPNotAllowed,
		"O tipo de token não está autorizado":                ClientIPNotAllowed,
		"Das Prinzip ist gesperrt":                           ClientIPNotAllowed,
		"リクエストがタイムアウトしました":                                   TokenExpired,
		"The token expires in 3600 seconds; invalid request": TokenExpired,
	}
	for text, not := range tests {
		if got := lexiconCause(text); got == string(not) {
			t.Errorf("%q read as %s", text, got)
		}
	}
}

// TestLanguagesBareOutranked: a bare refusal in another language stays
// bare, and a statement that says why outranks it, in either order.
func TestLanguagesBareOutranked(t *testing.T) {
	tests := []struct {
		bare, why string
		want      Code
	}{
		{"禁止访问", "令牌已过期", TokenExpired},
		{"Доступ запрещён", "Срок действия токена истёк", TokenExpired},
		{"Acceso denegado", "La clave de API no existe", CredentialUnknown},
		{"Zugriff verweigert", "IP-Adresse nicht erlaubt", ClientIPNotAllowed},
		{"アクセスが拒否されました", "トークンが見つかりません", CredentialsMissing},
	}
	for _, tt := range tests {
		for _, order := range [][]string{{tt.bare, tt.why}, {tt.why, tt.bare}} {
			s := ServerSays{}
			for _, text := range order {
				s.Statements = append(s.Statements, Statement{Where: "body", Text: text})
			}
			if st, _ := s.statedCause(); st.code != tt.want {
				t.Errorf("%q: read %s, want %s", order, st.code, tt.want)
			}
		}
	}
}

// TestNarrow: full-width forms become ASCII, other text is left alone.
func TestNarrow(t *testing.T) {
	tests := map[string]string{
		"ＡＰＩ　キー：無効": "API キー:無効",
		"İzinsiz":   "Izinsiz",
		"令牌已过期":     "令牌已过期",
		"plain":     "plain",
	}
	for in, want := range tests {
		if got := narrow(in); got != want {
			t.Errorf("narrow(%q) = %q, want %q", in, got, want)
		}
	}
}
