//! The attacks: each one's name, strategy, what it tries, the answer a sound node gives, and why
//! it matters, in English and Korean, with the play that carries it out (one table: adding an
//! attack is one entry here plus its function in [`playbook`](super::playbook)).

use super::playbook::{Aim, Play, claims, forgery, play, revocation, session};
use super::{AttackError, Bilingual, Strategy};

/// One attack of the catalogue.
#[derive(Debug)]
pub struct Attack {
    /// Stable, unique, for `--only` and JSON: e.g. `alg-none`.
    pub name: &'static str,
    /// The authentication it attacks; `--only session` or `--only token` runs it with its kind.
    pub strategy: Strategy,
    /// What the attacker does, in a few words.
    pub title: Bilingual,
    /// The answer of a sound node.
    pub expected: Bilingual,
    /// Why it matters, in one line.
    pub why: Bilingual,
    /// How the lab carries it out: the node it needs and its function.
    pub(crate) play: Play,
}

const fn b(en: &'static str, ko: &'static str) -> Bilingual {
    Bilingual { en, ko }
}

const REFUSED_401: Bilingual = b("401: refused", "401: 거부");

/// Every attack, token attacks first.
pub static CATALOGUE: &[Attack] = &[
    Attack {
        name: "alg-none",
        strategy: Strategy::Token,
        title: b(
            "alg \"none\": an unsigned token that claims to be another user",
            "alg \"none\": 다른 사용자를 사칭하는 서명 없는 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A verifier that lets the token's header choose the algorithm accepts unsigned tokens: anyone becomes anyone.",
            "토큰 헤더가 알고리즘을 고르게 두는 검증기는 서명 없는 토큰을 받아들여, 누구나 누구든 될 수 있습니다.",
        ),
        play: play!(forgery::alg_none),
    },
    Attack {
        name: "key-confusion",
        strategy: Strategy::Token,
        title: b(
            "RS256 to HS256 key confusion: HMAC with the node's public key (from its JWKS) as the secret",
            "RS256→HS256 키 혼동: 노드의 공개 키(JWKS에서 가져옴)를 비밀 값으로 쓴 HMAC",
        ),
        expected: REFUSED_401,
        why: b(
            "The public key is public: if a verifier checks HS256 with it, anyone can sign tokens. One algorithm per key stops it.",
            "공개 키는 누구나 압니다. 검증기가 그 키로 HS256을 검사하면 누구나 토큰에 서명할 수 있습니다. 키마다 알고리즘을 하나로 묶으면 막힙니다.",
        ),
        play: play!(forgery::key_confusion),
    },
    Attack {
        name: "tampered-signature",
        strategy: Strategy::Token,
        title: b("a real token with one character of its signature changed", "서명의 한 글자를 바꾼 진짜 토큰"),
        expected: REFUSED_401,
        why: b(
            "The signature is the only thing that makes a token trustworthy; a single changed byte must void it.",
            "토큰을 믿을 근거는 서명뿐입니다. 한 바이트만 바뀌어도 무효가 되어야 합니다.",
        ),
        play: play!(forgery::tampered_signature),
    },
    Attack {
        name: "tampered-payload",
        strategy: Strategy::Token,
        title: b(
            "a real token whose sub is changed to another user, signature kept",
            "서명은 그대로 두고 sub를 다른 사용자로 바꾼 진짜 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "Claims are only base64, readable and editable by anyone; the signature covers them, so any edit must be refused.",
            "클레임은 base64일 뿐이라 누구나 읽고 고칠 수 있습니다. 서명이 클레임을 덮으므로 고친 토큰은 거부되어야 합니다.",
        ),
        play: play!(forgery::tampered_payload),
    },
    Attack {
        name: "foreign-key",
        strategy: Strategy::Token,
        title: b(
            "a token signed with the attacker's own key of the same algorithm, under the node's kid",
            "같은 알고리즘의 공격자 키로 서명하고 노드의 kid를 붙인 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A well-formed signature proves nothing unless it is made with one of the node's own keys.",
            "형식이 맞는 서명이라도 노드 자신의 키로 만든 것이 아니면 아무것도 증명하지 못합니다.",
        ),
        play: play!(forgery::foreign_key),
    },
    Attack {
        name: "expired",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token whose exp passed an hour ago",
            "올바르게 서명됐지만 exp가 한 시간 전에 지난 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "Expiry is what limits a stolen token's life; without a denylist it is the only limit there is.",
            "만료는 도난당한 토큰의 수명을 제한합니다. 거부 목록이 없으면 유일한 제한입니다.",
        ),
        play: play!(claims::expired),
    },
    Attack {
        name: "future-nbf",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token that is not valid until an hour from now (nbf)",
            "올바르게 서명됐지만 한 시간 뒤부터 유효한(nbf) 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A token minted for later (or by a host with a skewed clock) must not work early; the leeway must stay small.",
            "나중을 위해 (또는 시계가 어긋난 호스트가) 만든 토큰은 미리 쓰이면 안 됩니다. 허용 오차는 작아야 합니다.",
        ),
        play: play!(claims::future_nbf),
    },
    Attack {
        name: "exp-as-string",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token whose exp is a string of digits, not a number",
            "exp를 숫자가 아닌 숫자 문자열로 넣고 올바르게 서명한 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A validator that skips a claim it cannot read as a number lets such a token live forever.",
            "숫자로 읽을 수 없는 클레임을 건너뛰는 검증기에서는 이런 토큰이 영원히 유효합니다.",
        ),
        play: play!(claims::exp_as_string),
    },
    Attack {
        name: "wrong-aud",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token meant for another service (aud \"another-api\")",
            "다른 서비스용으로 올바르게 서명된 토큰 (aud \"another-api\")",
        ),
        expected: REFUSED_401,
        why: b(
            "One issuer signs tokens for many services; without the audience check a token for one is good for all.",
            "한 발급자가 여러 서비스의 토큰에 서명합니다. 대상(aud) 검사가 없으면 한 서비스용 토큰이 모든 서비스에서 통합니다.",
        ),
        play: play!(claims::wrong_aud),
    },
    Attack {
        name: "wrong-iss",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token from another issuer (iss \"https://evil.example\")",
            "다른 발급자의 것으로 올바르게 서명된 토큰 (iss \"https://evil.example\")",
        ),
        expected: REFUSED_401,
        why: b(
            "Checking the issuer keeps tokens of one trust domain (or a test environment) out of another.",
            "발급자(iss)를 검사해야 한 신뢰 영역(또는 테스트 환경)의 토큰이 다른 곳에서 쓰이지 않습니다.",
        ),
        play: play!(claims::wrong_iss),
    },
    Attack {
        name: "wrong-typ",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token with typ \"JWT\" instead of \"at+jwt\" (e.g. an ID token)",
            "typ이 \"at+jwt\"가 아닌 \"JWT\"인 올바르게 서명된 토큰 (예: ID 토큰)",
        ),
        expected: REFUSED_401,
        why: b(
            "Other JWTs signed with the same key (ID tokens, links) must not pass as access tokens (RFC 9068).",
            "같은 키로 서명된 다른 JWT(ID 토큰, 링크 등)가 액세스 토큰으로 통과하면 안 됩니다 (RFC 9068).",
        ),
        play: play!(claims::wrong_typ),
    },
    Attack {
        name: "kid-path-traversal",
        strategy: Strategy::Token,
        title: b(
            "kid \"../../../../dev/null\", HMAC-signed with an empty secret (the contents of /dev/null)",
            "kid \"../../../../dev/null\", 빈 비밀 값(/dev/null의 내용)으로 HMAC 서명",
        ),
        expected: REFUSED_401,
        why: b(
            "A server that loads its key from a file named by kid can be pointed at a file whose contents the attacker knows.",
            "kid가 가리키는 파일에서 키를 읽는 서버는 공격자가 내용을 아는 파일로 유도될 수 있습니다.",
        ),
        play: play!(forgery::kid_path_traversal),
    },
    Attack {
        name: "kid-sql-injection",
        strategy: Strategy::Token,
        title: b(
            "kid \"' OR 1=1 --\" and \"x' UNION SELECT 'lab-secret' --\", HMAC-signed with the attacker's secret",
            "kid \"' OR 1=1 --\"와 \"x' UNION SELECT 'lab-secret' --\", 공격자의 비밀 값으로 HMAC 서명",
        ),
        expected: REFUSED_401,
        why: b(
            "A server that looks its key up in a database by kid can be made to use a key the attacker chose.",
            "kid로 데이터베이스에서 키를 찾는 서버는 공격자가 고른 키를 쓰게 될 수 있습니다.",
        ),
        play: play!(forgery::kid_sql_injection),
    },
    Attack {
        name: "header-jku",
        strategy: Strategy::Token,
        title: b(
            "header jku pointing at the attacker's JWKS, token signed with the attacker's key",
            "헤더 jku가 공격자의 JWKS를 가리키고, 공격자의 키로 서명한 토큰",
        ),
        expected: b(
            "401: refused, and the attacker's URL is never fetched",
            "401: 거부, 공격자의 URL은 한 번도 요청되지 않음",
        ),
        why: b(
            "A verifier that fetches keys from a URL in the token lets the attacker supply the key that checks the attacker's signature.",
            "토큰 안의 URL에서 키를 가져오는 검증기는 공격자가 자기 서명을 검사할 키를 직접 주게 합니다.",
        ),
        play: play!(forgery::header_jku),
    },
    Attack {
        name: "header-jwk",
        strategy: Strategy::Token,
        title: b(
            "the attacker's public key embedded in the header (jwk), token signed with it",
            "헤더(jwk)에 공격자의 공개 키를 넣고 그 키로 서명한 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A key that travels inside the token proves only that someone had that key; trust must come from the server's own keys.",
            "토큰 안에 실려 온 키는 누군가 그 키를 가졌다는 것만 증명합니다. 신뢰는 서버 자신의 키에서 나와야 합니다.",
        ),
        play: play!(forgery::header_jwk),
    },
    Attack {
        name: "oversized-token",
        strategy: Strategy::Token,
        title: b("a 24 KB token (claims padded)", "24 KB짜리 토큰 (클레임을 부풀림)"),
        expected: b(
            "refused before any parsing (400, 401 or 431), never a 5xx",
            "파싱 전에 거부 (400, 401 또는 431), 5xx는 절대 아님",
        ),
        why: b(
            "Decoding and verifying cost CPU and memory per byte: a size limit keeps a cheap request from becoming expensive work.",
            "디코딩과 검증은 바이트마다 CPU와 메모리를 씁니다. 크기 제한이 있어야 값싼 요청이 비싼 작업이 되지 않습니다.",
        ),
        play: play!(claims::oversized_token),
    },
    Attack {
        name: "replay-after-logout",
        strategy: Strategy::Token,
        title: b(
            "an access token used again after its user logged out (node without a denylist)",
            "사용자가 로그아웃한 뒤 액세스 토큰을 다시 사용 (거부 목록 없는 노드)",
        ),
        expected: b(
            "200: still accepted (no denylist): the lesson, not a bug",
            "200: 여전히 허용됨 (거부 목록 없음): 버그가 아니라 이 실습의 교훈",
        ),
        why: b(
            "A stateless token cannot be recalled: logout only forgets it on the client, and a stolen copy works until exp.",
            "상태 없는 토큰은 회수할 수 없습니다. 로그아웃은 클라이언트에서 잊을 뿐이고, 훔친 사본은 exp까지 통합니다.",
        ),
        play: play!(revocation::replay_after_logout),
    },
    Attack {
        name: "replay-after-logout-denylist",
        strategy: Strategy::Token,
        title: b(
            "an access token used again after logout, on a node with --revocation denylist",
            "로그아웃 뒤 액세스 토큰을 다시 사용, --revocation denylist 노드에서",
        ),
        expected: REFUSED_401,
        why: b(
            "Revocation needs server state again: the denylist holds the token's jti until it expires.",
            "취소에는 다시 서버 상태가 필요합니다. 거부 목록은 토큰이 만료될 때까지 그 jti를 보관합니다.",
        ),
        play: play!(revocation::replay_after_logout_denylist, Aim::TokenDenylist),
    },
    Attack {
        name: "refresh-reuse",
        strategy: Strategy::Token,
        title: b(
            "a refresh token used a second time after rotation, then the rotated one",
            "교체된 뒤 리프레시 토큰을 두 번째로 사용하고, 이어서 새로 받은 것도 사용",
        ),
        expected: b(
            "first use 200; reuse 401; the rotated token 401 too (family revoked)",
            "첫 사용 200, 재사용 401, 새로 받은 토큰도 401 (계열 전체 취소)",
        ),
        why: b(
            "A reused refresh token means two parties hold it; revoking the whole family cuts off the thief as well as the victim.",
            "리프레시 토큰이 재사용됐다면 두 사람이 가진 것입니다. 계열 전체를 취소하면 피해자와 함께 도둑도 끊깁니다.",
        ),
        play: play!(revocation::refresh_reuse),
    },
    Attack {
        name: "csrf-bearer",
        strategy: Strategy::Token,
        title: b(
            "a cross-site POST /logout as a browser sends it: no Authorization header",
            "브라우저가 보내는 그대로의 교차 사이트 POST /logout: Authorization 헤더 없음",
        ),
        expected: b(
            "401: no credentials came, and the token still works",
            "401: 자격 증명이 오지 않았고, 토큰은 여전히 유효",
        ),
        why: b(
            "Browsers never attach a bearer token on their own, so CSRF does not reach token APIs; script injection (XSS) does.",
            "브라우저는 베어러 토큰을 스스로 붙이지 않으므로 CSRF는 토큰 API에 닿지 않습니다. 대신 스크립트 주입(XSS)이 위험합니다.",
        ),
        play: play!(revocation::csrf_bearer, Aim::TokenDenylistFirst),
    },
    Attack {
        name: "crit-unknown",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token whose header marks an unknown extension as critical (crit)",
            "알 수 없는 확장을 필수(crit)로 표시한 헤더를 가진, 올바르게 서명된 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "crit says \"refuse me unless you understand this\" (RFC 7515 4.1.11); a verifier that ignores it skips a check the issuer demanded.",
            "crit는 \"이것을 이해하지 못하면 거부하라\"는 뜻입니다 (RFC 7515 4.1.11). 무시하는 검증기는 발급자가 요구한 검사를 건너뜁니다.",
        ),
        play: play!(claims::crit_unknown),
    },
    Attack {
        name: "duplicate-claims",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token naming sub (and exp) twice: the victim first, another user last",
            "sub(와 exp)를 두 번 넣고 올바르게 서명한 토큰: 처음은 피해자, 마지막은 다른 사용자",
        ),
        expected: REFUSED_401,
        why: b(
            "Parsers disagree on which copy wins: one component checks the first, another acts on the last. Refusing both closes the gap.",
            "어느 사본을 쓰는지는 파서마다 다릅니다. 한 구성 요소는 처음 것을 검사하고 다른 구성 요소는 마지막 것을 씁니다. 둘 다 거부해야 틈이 없습니다.",
        ),
        play: play!(claims::duplicate_claims),
    },
    Attack {
        name: "duplicate-header",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token whose header names alg (or kid) twice",
            "헤더에 alg(또는 kid)를 두 번 넣고 올바르게 서명한 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A header read twice can choose two different algorithms or keys: one for the check, another for the decision (RFC 7515 5.2).",
            "두 번 읽히는 헤더는 서로 다른 알고리즘이나 키를 고를 수 있습니다. 하나는 검사에, 다른 하나는 판단에 쓰입니다 (RFC 7515 5.2).",
        ),
        play: play!(claims::duplicate_header),
    },
    Attack {
        name: "non-canonical-signature",
        strategy: Strategy::Token,
        title: b(
            "a real token whose signature is re-encoded: the same bytes, different unused trailing bits",
            "서명을 다시 인코딩한 진짜 토큰: 바이트는 같고 쓰지 않는 끝 비트만 다름",
        ),
        expected: REFUSED_401,
        why: b(
            "If the text of a token can change while it stays valid, anything keyed on the text (a cache, a log, a revocation list) can be sidestepped.",
            "토큰이 유효한 채로 글자가 바뀔 수 있다면, 글자를 키로 쓰는 모든 것(캐시, 로그, 취소 목록)을 비켜 갈 수 있습니다.",
        ),
        play: play!(forgery::non_canonical_signature),
    },
    Attack {
        name: "non-canonical-signature-denylist",
        strategy: Strategy::Token,
        title: b(
            "a logged-out token, its signature re-encoded non-canonically, on a node with --revocation denylist",
            "로그아웃한 토큰의 서명을 비정규로 다시 인코딩, --revocation denylist 노드에서",
        ),
        expected: REFUSED_401,
        why: b(
            "Revocation must hold whatever the encoding: the denylist keys on the jti inside the signed claims, and a re-encoded signature is refused anyway.",
            "취소는 인코딩과 무관하게 지켜져야 합니다. 거부 목록은 서명된 클레임 안의 jti를 키로 쓰고, 다시 인코딩한 서명은 어차피 거부됩니다.",
        ),
        play: play!(revocation::non_canonical_signature_denylist, Aim::TokenDenylist),
    },
    Attack {
        name: "hmac-empty-key",
        strategy: Strategy::Token,
        title: b(
            "HS256 with an empty secret, offered as an empty oct key in the header (jwk), under an empty kid and under the node's kid",
            "빈 비밀 값의 HS256: 헤더(jwk)의 빈 oct 키로, 빈 kid로, 노드의 kid로 제시",
        ),
        expected: REFUSED_401,
        why: b(
            "A verifier that takes an HMAC key from the token, or falls back to an empty one, accepts a signature anyone can make.",
            "토큰에서 HMAC 키를 가져오거나 빈 키로 대신하는 검증기는 누구나 만들 수 있는 서명을 받아들입니다.",
        ),
        play: play!(forgery::hmac_empty_key),
    },
    Attack {
        name: "hmac-public-key-jwk",
        strategy: Strategy::Token,
        title: b(
            "HS256 keyed with the node's public key, the key itself carried in the header (jwk), with and without the node's kid",
            "노드의 공개 키로 만든 HS256, 그 키를 헤더(jwk)에 실어 노드의 kid와 함께, 또 kid 없이",
        ),
        expected: REFUSED_401,
        why: b(
            "The jwk header tells a naive verifier which key to use; pairing it with HS256 turns a public key into a shared secret.",
            "jwk 헤더는 순진한 검증기에게 쓸 키를 알려 줍니다. HS256과 짝지으면 공개 키가 공유 비밀이 됩니다.",
        ),
        play: play!(forgery::hmac_public_key_jwk),
    },
    Attack {
        name: "future-iat",
        strategy: Strategy::Token,
        title: b(
            "a correctly signed token issued (iat) a year from now",
            "발급 시각(iat)이 1년 뒤인, 올바르게 서명된 토큰",
        ),
        expected: REFUSED_401,
        why: b(
            "A token from the future outlives its lifetime and escapes \"refuse everything issued before now\" revocations; a sound issuer never makes one.",
            "미래에서 온 토큰은 수명을 넘겨 살아남고, \"지금까지 발급된 것은 모두 거부\" 식의 취소를 피합니다. 정상 발급자는 이런 토큰을 만들지 않습니다.",
        ),
        play: play!(claims::future_iat),
    },
    Attack {
        name: "fixation",
        strategy: Strategy::Session,
        title: b(
            "session fixation: the victim logs in carrying a session id the attacker chose",
            "세션 고정: 피해자가 공격자가 고른 세션 ID를 가진 채 로그인",
        ),
        expected: b(
            "a fresh id at login; the planted id does not reach the victim's session (401)",
            "로그인 때 새 ID 발급, 심어 둔 ID로는 피해자의 세션에 닿지 못함 (401)",
        ),
        why: b(
            "If the server kept the planted id, the attacker would be logged in as the victim the moment the victim logs in.",
            "서버가 심어 둔 ID를 유지한다면, 피해자가 로그인하는 순간 공격자도 피해자로 로그인됩니다.",
        ),
        play: play!(session::fixation),
    },
    Attack {
        name: "forged-session-id",
        strategy: Strategy::Session,
        title: b(
            "a well-formed session id the server never issued, and a guessable one (\"admin\")",
            "서버가 발급한 적 없는 형식이 맞는 세션 ID와 추측하기 쉬운 ID (\"admin\")",
        ),
        expected: REFUSED_401,
        why: b(
            "A session id is a bearer secret: only ids the server issued, from a CSPRNG with 128+ bits, may open a session.",
            "세션 ID는 가진 사람이 주인인 비밀입니다. 서버가 CSPRNG로 128비트 이상을 써서 발급한 ID만 세션을 열 수 있어야 합니다.",
        ),
        play: play!(session::forged_session_id),
    },
    Attack {
        name: "session-reuse-after-logout",
        strategy: Strategy::Session,
        title: b("a session cookie used again after logout", "로그아웃한 뒤 세션 쿠키를 다시 사용"),
        expected: REFUSED_401,
        why: b(
            "Server-side sessions can really end: logout deletes the session on the server, so a copied cookie dies with it.",
            "서버 측 세션은 정말로 끝낼 수 있습니다. 로그아웃이 서버에서 세션을 지우므로 복사한 쿠키도 함께 무효가 됩니다.",
        ),
        play: play!(session::session_reuse_after_logout),
    },
    Attack {
        name: "cookie-flags",
        strategy: Strategy::Session,
        title: b(
            "the session cookie's attributes, read from Set-Cookie at login",
            "로그인 때 Set-Cookie에서 읽은 세션 쿠키의 속성",
        ),
        expected: b("HttpOnly; SameSite=Strict; Path=/", "HttpOnly; SameSite=Strict; Path=/"),
        why: b(
            "HttpOnly keeps the id away from scripts (XSS); SameSite=Strict keeps browsers from sending it cross-site (CSRF).",
            "HttpOnly는 스크립트(XSS)로부터 ID를 지키고, SameSite=Strict는 브라우저가 교차 사이트로 쿠키를 보내지 않게 합니다 (CSRF).",
        ),
        play: play!(session::cookie_flags),
    },
    Attack {
        name: "cookie-secure",
        strategy: Strategy::Session,
        title: b("the session cookie's Secure attribute", "세션 쿠키의 Secure 속성"),
        expected: b("Secure (node started with --secure-cookie)", "Secure (--secure-cookie로 시작한 노드)"),
        why: b(
            "Without Secure a browser also sends the cookie over plain HTTP, where anyone on the path can copy it.",
            "Secure가 없으면 브라우저가 평문 HTTP로도 쿠키를 보내, 경로 위의 누구든 복사할 수 있습니다.",
        ),
        play: play!(session::cookie_secure),
    },
    Attack {
        name: "csrf-cross-site",
        strategy: Strategy::Session,
        title: b(
            "CSRF: a cross-site POST /logout carrying the victim's cookie (Origin: https://evil.example)",
            "CSRF: 피해자의 쿠키를 단 교차 사이트 POST /logout (Origin: https://evil.example)",
        ),
        expected: b(
            "cookie SameSite=Strict; the forged POST 403; the session still works",
            "쿠키 SameSite=Strict, 위조된 POST는 403, 세션은 계속 유효",
        ),
        why: b(
            "Browsers attach cookies by themselves: SameSite stops that in the browser, and an Origin check on the server stops it for older browsers.",
            "브라우저는 쿠키를 스스로 붙입니다. SameSite가 브라우저에서 이를 막고, 서버의 Origin 검사가 오래된 브라우저에서도 막습니다.",
        ),
        play: play!(session::csrf_cross_site),
    },
    Attack {
        name: "session-id-in-url",
        strategy: Strategy::Session,
        title: b(
            "a valid session id sent in the URL (/api/profile?sid=...) instead of the cookie",
            "쿠키 대신 URL에 넣은 유효한 세션 ID (/api/profile?sid=...)",
        ),
        expected: REFUSED_401,
        why: b(
            "URLs end up in logs, browser history and Referer headers: a server that reads the id from them leaks sessions.",
            "URL은 로그, 브라우저 기록, Referer 헤더에 남습니다. URL에서 ID를 읽는 서버는 세션을 흘립니다.",
        ),
        play: play!(session::session_id_in_url),
    },
    Attack {
        name: "session-idle-timeout",
        strategy: Strategy::Session,
        title: b(
            "a session cookie used again after the session's idle timeout (a node with --ttl 2s)",
            "유휴 시간 제한이 지난 뒤 세션 쿠키를 다시 사용 (--ttl 2s 노드)",
        ),
        expected: REFUSED_401,
        why: b(
            "A forgotten session on a shared computer must die on its own; the server, not the cookie's Max-Age, has to enforce it.",
            "공용 컴퓨터에 남은 세션은 스스로 끝나야 합니다. 쿠키의 Max-Age가 아니라 서버가 이를 지켜야 합니다.",
        ),
        play: play!(session::session_idle_timeout, Aim::ShortTtlSessionFirst),
    },
];

/// The attacks to run: all of them, one by name, or every attack of a strategy (`session`, `token`).
pub fn select(only: Option<&str>) -> Result<Vec<&'static Attack>, AttackError> {
    let Some(name) = only else { return Ok(CATALOGUE.iter().collect()) };
    let chosen: Vec<&'static Attack> =
        CATALOGUE.iter().filter(|a| a.name == name || a.strategy.as_str() == name).collect();
    if chosen.is_empty() {
        let known = CATALOGUE.iter().map(|a| a.name).collect::<Vec<_>>().join(", ");
        return Err(AttackError::UnknownAttack { name: name.to_owned(), known });
    }
    Ok(chosen)
}

/// The attack with this name.
pub fn find(name: &str) -> Option<&'static Attack> {
    CATALOGUE.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_text_has_both_languages() {
        for (i, attack) in CATALOGUE.iter().enumerate() {
            assert!(CATALOGUE[..i].iter().all(|a| a.name != attack.name), "{} twice", attack.name);
            for text in [attack.title, attack.expected, attack.why] {
                assert!(!text.en.is_empty() && !text.ko.is_empty(), "{}", attack.name);
            }
        }
        assert!(CATALOGUE.len() >= 15);
    }

    #[test]
    fn select_by_name_strategy_or_all() {
        assert_eq!(select(None).map(|v| v.len()).ok(), Some(CATALOGUE.len()));
        assert_eq!(select(Some("alg-none")).map(|v| v.len()).ok(), Some(1));
        let sessions = select(Some("session")).expect("session attacks");
        assert!(sessions.len() >= 5 && sessions.iter().all(|a| a.strategy == Strategy::Session));
        assert!(matches!(select(Some("nope")), Err(AttackError::UnknownAttack { .. })));
    }
}
