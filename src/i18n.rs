//! English and Korean: every string a user reads in the app and in exported charts.

use serde::{Deserialize, Serialize};

/// The languages of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Language {
    /// English (the default).
    #[default]
    English,
    /// Korean.
    Korean,
}

impl Language {
    /// Both, in the order the language picker lists them.
    pub(crate) const ALL: [Language; 2] = [Language::English, Language::Korean];

    /// The language's own name.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Korean => "한국어",
        }
    }

    /// The text of `key` in this language.
    pub fn tr(self, key: Text) -> &'static str {
        let (en, ko) = key.texts();
        match self {
            Language::English => en,
            Language::Korean => ko,
        }
    }

    /// The text of `key` in this language, its `{0}`, `{1}`… replaced by `args` in turn (the
    /// languages put them in different places).
    pub fn fill(self, key: Text, args: &[&str]) -> String {
        let mut out = self.tr(key).to_owned();
        for (i, arg) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), arg);
        }
        out
    }
}

macro_rules! texts {
    ($($name:ident => $en:literal, $ko:literal;)*) => {
        /// A user-visible string. Each variant's documentation is its English text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text { $(#[doc = concat!("“", $en, "”")] $name),* }

        impl Text {
            /// Every text, in the order of the table below.
            pub const ALL: &'static [Text] = &[$(Text::$name),*];

            /// (English, Korean)
            pub fn texts(self) -> (&'static str, &'static str) {
                match self { $(Text::$name => ($en, $ko)),* }
            }
        }
    };
}

texts! {
    AppTitle => "authlab: sessions and tokens under load", "authlab: 부하 속의 세션과 토큰";
    Export => "Export charts (PNG 1× and 2×, SVG, CSV)…", "차트 내보내기 (PNG 1×·2×, SVG, CSV)…";
    Inspector => "Token inspector", "토큰 검사기";
    InspectPaste => "Paste a JWT (or a Bearer header)", "JWT(또는 Bearer 헤더)를 붙여 넣으세요";
    InspectMintLive => "Mint a token from the live run", "실행 중인 노드에서 토큰 발급";
    InspectMintOwn => "Mint a token (starts a token node of the lab's own)", "토큰 발급 (실습용 토큰 노드를 직접 시작)";
    InspectMintAgain => "Mint another token from the lab's node", "실습 노드에서 토큰 다시 발급";
    InspectMinted => "Minted by {0} for {1}; the JWKS URL points at that node.", "{0}에서 {1}에게 발급했습니다. JWKS URL이 그 노드를 가리킵니다.";
    InspectBytes => "{0} bytes", "{0}바이트";
    InspectTokenBytes => "token: {0} bytes", "토큰: {0}바이트";
    InspectClaimsHint => "Edit the claims: the payload is re-encoded, the old signature stays.", "클레임을 고치면 페이로드를 다시 인코딩하고 옛 서명은 그대로 둡니다.";
    InspectTimes => "Dates", "날짜";
    InspectNow => "now", "지금";
    InspectIn => "in {0}", "{0} 후";
    InspectAgo => "{0} ago", "{0} 전";
    InspectVerify => "Verify", "검증";
    InspectJwksUrl => "JWKS URL (public keys)", "JWKS URL (공개 키)";
    InspectFetch => "Fetch the keys", "키 가져오기";
    InspectKeysFetched => "{0} key(s) fetched from {1}", "{1}에서 키 {0}개를 가져왔습니다";
    InspectPastedKey => "…or paste a JWK, PEM public key or HMAC secret (used instead of the JWKS)", "…또는 JWK, PEM 공개 키, HMAC 비밀을 붙여 넣으세요 (JWKS 대신 사용)";
    InspectKeyUnusable => "The key cannot be used: {0}", "키를 쓸 수 없습니다: {0}";
    InspectExpectIss => "Expected iss", "기대하는 iss";
    InspectExpectAud => "Expected aud", "기대하는 aud";
    InspectVerified => "Verified: the signature passed and no check failed.", "검증됨: 서명이 맞고 실패한 검사가 없습니다.";
    InspectNotVerified => "Not verified.", "검증되지 않음.";
    InspectResign => "Re-sign with this key", "이 키로 다시 서명";
    InspectSignKey => "Private key to re-sign with: HMAC secret, private JWK or PEM private key. Whoever holds it can mint any claims.", "다시 서명할 개인 키: HMAC 비밀, 개인 JWK, PEM 개인 키. 이 키를 가진 사람은 어떤 클레임이든 발급할 수 있습니다.";
    InspectCannotResign => "Cannot re-sign: {0}", "다시 서명할 수 없습니다: {0}";
    InspectClaimsNotJson => "The claims are not a JSON object; the token was left as it was.", "클레임이 JSON 객체가 아니어서 토큰을 그대로 두었습니다.";
    InspectPassed => "passed", "통과";
    InspectFailed => "FAILED", "실패";
    InspectNotChecked => "not checked", "검사 안 함";
    CheckSignature => "signature", "서명";
    CheckAlg => "alg (allowlist)", "alg (허용 목록)";
    CheckTyp => "typ (token type)", "typ (토큰 유형)";
    CheckExp => "exp (expiry)", "exp (만료)";
    CheckNbf => "nbf (not before)", "nbf (시작 시각)";
    CheckIss => "iss (issuer)", "iss (발급자)";
    CheckAud => "aud (audience)", "aud (대상)";
    CheckCrit => "crit (critical extensions)", "crit (필수 확장)";
    WhySignatureOk => "the signature verifies with the key given", "주어진 키로 서명이 검증됩니다";
    WhySignatureBad => "the signature does not verify with the key given (edited, or another key)", "주어진 키로 서명이 검증되지 않습니다 (수정됐거나 다른 키)";
    WhyNoKey => "no key given: fetch a JWKS or paste a key", "키가 없습니다: JWKS를 가져오거나 키를 붙여 넣으세요";
    WhyAlgRefusedNoTry => "the alg is refused, so no key is tried", "alg가 거부되어 키를 시도하지 않습니다";
    WhyAlgOk => "{0} is on the allowlist and fits the key", "{0}는 허용 목록에 있고 키에 맞습니다";
    WhyAlgBad => "{0} is refused: none, not on the allowlist (HS256, RS256, ES256, EdDSA, Ed25519) or not what the key allows", "{0} 거부: none이거나 허용 목록(HS256, RS256, ES256, EdDSA, Ed25519)에 없거나 키가 허용하지 않는 알고리즘";
    WhyTypOk => "a JWT's type, or none", "JWT 유형이거나 없음";
    WhyTypBad => "not a JWT's type: a token of another kind", "JWT 유형이 아님: 다른 종류의 토큰";
    WhyExpOk => "expires {0}", "만료: {0}";
    WhyExpPast => "expired {0}", "만료됨: {0}";
    WhyExpMissing => "no usable exp: a token that never expires is refused", "쓸 수 있는 exp가 없음: 만료되지 않는 토큰은 거부합니다";
    WhyNbfOk => "valid now (or no nbf)", "지금 유효함 (또는 nbf 없음)";
    WhyNbfBad => "not valid yet, or not a date", "아직 유효하지 않거나 날짜가 아님";
    WhyMatches => "as expected", "기대한 값과 같음";
    WhyIssBad => "not the expected issuer", "기대한 발급자가 아님";
    WhyAudBad => "the expected audience is not in aud", "aud에 기대한 대상이 없음";
    WhyNotExpected => "nothing expected: fill in the field to check it", "기대값 없음: 확인하려면 칸을 채우세요";
    WhyCritOk => "no critical extension it does not understand", "이해하지 못하는 필수 확장 없음";
    WhyCritBad => "an unknown critical extension: the token must be refused", "알 수 없는 필수 확장: 토큰을 거부해야 합니다";
    BadEmpty => "Paste a token above.", "위에 토큰을 붙여 넣으세요.";
    BadTooLong => "The token has {0} bytes, more than the inspector reads.", "토큰이 {0}바이트로, 검사기가 읽는 크기보다 큽니다.";
    BadParts => "The token has {0} part(s); a JWT has 3 (header.claims.signature).", "토큰이 {0}부분입니다. JWT는 3부분(헤더.클레임.서명)입니다.";
    BadJwe => "The token has 5 parts: an encrypted JWE, which cannot be read without its key.", "토큰이 5부분입니다: 키 없이는 읽을 수 없는 암호화된 JWE입니다.";
    BadBase64 => "Part {0} ({1}) is not base64url at byte {2} of the part (byte {3} of the token).", "{0}번째 부분({1})이 그 부분의 {2}번째 바이트(토큰의 {3}번째 바이트)에서 base64url이 아닙니다.";
    BadJson => "Part {0} ({1}) decodes, but is not a JSON object.", "{0}번째 부분({1})은 디코딩되지만 JSON 객체가 아닙니다.";
    Header => "Header", "헤더";
    Payload => "Payload (claims)", "페이로드 (클레임)";
    Signature => "Signature", "서명";
    WireSize => "Bytes sent with every request", "요청마다 보내는 바이트";
    WireBearer => "Authorization: Bearer <token>", "Authorization: Bearer <토큰>";
    WireCookie => "Cookie: sid=<id> (session)", "Cookie: sid=<id> (세션)";
    WireCookieComputed => "Computed: a session id is 128 random bits, base64url (22 characters), as tower-sessions makes it on the session node.", "계산값: 세션 id는 128비트 난수를 base64url(22자)로 쓴 것으로, 세션 노드의 tower-sessions가 만드는 방식입니다.";
    WireCookieMeasured => "Measured: the Set-Cookie of a login on the run's session node.", "측정값: 실행 중인 세션 노드 로그인의 Set-Cookie.";
    WireExtra => "The token costs {0} B more per request: {1} MB more per million requests.", "토큰은 요청마다 {0} B 더 듭니다: 요청 백만 건에 {1} MB 더.";
    Exporting => "Exporting…", "내보내는 중…";
    Library => "Scenarios", "시나리오";
    Live => "Live", "실시간";
    Replay => "Replay", "다시 보기";
    Start => "Start", "시작";
    Stop => "Stop", "중지";
    OpenFile => "Open…", "열기…";
    SaveAs => "Save as…", "다른 이름으로 저장…";
    Narrative => "What to watch", "무엇을 볼까요";
    Editor => "Scenario (TOML)", "시나리오 (TOML)";
    Valid => "valid", "유효함";
    // The knobs' tooltips in the scenario library (src/app/library.rs); the knobs themselves are
    // named by their TOML keys (`users.count`), which stay as written in scenario files.
    KnobDuration => "How long the run lasts.", "실행이 지속되는 시간입니다.";
    KnobUsersCount => "Distinct accounts; each visit logs in as another one.", "서로 다른 계정의 수입니다. 방문마다 다른 계정으로 로그인합니다.";
    KnobPasswordHash => "argon2id costs tens of milliseconds per login, as in production; sha256 makes logins nearly free.", "argon2id는 실제 서비스처럼 로그인마다 수십 밀리초가 걸리고, sha256은 로그인 비용을 거의 없앱니다.";
    KnobLoadModel => "closed: virtual users with think time; open: an arrival rate (requests/s).", "closed: 생각 시간(think time)을 두고 움직이는 가상 사용자, open: 도착률 (요청/초).";
    KnobLoadStages => "The load ramps linearly between these points (edit them in the TOML below).", "부하는 이 지점들 사이에서 선형으로 변합니다 (아래 TOML에서 고치세요).";
    KnobRequestsPerLogin => "Requests per visit after its login; 0 = endless.", "방문마다 로그인한 뒤 보내는 요청 수입니다. 0이면 끝없이 보냅니다.";
    KnobLogoutRatio => "Share of visits that log out; the rest abandon their session until it expires.", "로그아웃하는 방문의 비율입니다. 나머지는 세션을 만료될 때까지 내버려 둡니다.";
    KnobRouting => "How the load balancer picks a node: per-node sessions need sticky routing.", "로드 밸런서가 노드를 고르는 방식입니다. 세션을 노드마다 따로 두면 고정(sticky) 라우팅이 필요합니다.";
    KnobMachine => "SIMULATED capacity per node, as if each were its own machine.", "노드별 용량을 시뮬레이션합니다. 노드마다 별도의 머신인 것처럼 계산합니다.";
    KnobMachineValue => "{0} workers × {1}", "워커 {0}개 × {1}";
    KnobSessionNodes => "Session nodes, each its own process.", "세션 노드의 수입니다. 노드마다 별도의 프로세스입니다.";
    KnobSessionStore => "memory: each node keeps its own sessions; redis or postgres: one shared store.", "memory: 노드마다 자기 세션을 보관, redis 또는 postgres: 하나의 공유 저장소.";
    KnobSessionPool => "Connections each session node keeps open to PostgreSQL; a request waits for a free one.", "세션 노드마다 PostgreSQL에 열어 두는 연결 수입니다. 요청은 빈 연결이 날 때까지 기다립니다.";
    KnobPayloadBytes => "User data kept in every session, on the server.", "서버가 세션마다 보관하는 사용자 데이터입니다.";
    KnobTokenNodes => "Token nodes, each its own process, sharing the signing keys.", "토큰 노드의 수입니다. 노드마다 별도의 프로세스이며 서명 키를 함께 씁니다.";
    KnobAlgorithm => "The signature every request's token is checked with: HS256 is cheapest.", "요청마다 토큰을 검사하는 서명 알고리즘입니다. HS256이 가장 저렴합니다.";
    KnobRevocation => "none: a logged-out token works until it expires; denylist: server state again.", "none: 로그아웃한 토큰도 만료될 때까지 통함, denylist: 다시 서버에 상태를 둠.";
    KnobClaimsBytes => "Extra permissions carried in every token: bytes on the wire with every request.", "토큰마다 싣는 추가 권한입니다. 요청마다 그만큼 바이트가 더 전송됩니다.";
    KnobEvents => "Scheduled actions: kill_node, add_node, restart_node, revoke_user, rotate_key, set_load.", "예약된 동작: kill_node, add_node, restart_node, revoke_user, rotate_key, set_load.";
    // The app's notices (src/app/mod.rs); {0} is a path, a count or an error.
    NoticeSaved => "saved {0}", "{0}에 저장했습니다";
    NoticeExported => "exported {0} files to {1}", "파일 {0}개를 {1}에 내보냈습니다";
    NoticeInspector => "token inspector: {0}", "토큰 검사기: {0}";
    KillNode => "Kill node", "노드 종료";
    AddNode => "Add node", "노드 추가";
    RestartNode => "Restart node", "노드 재시작";
    RevokeUser => "Revoke a user", "사용자 권한 취소";
    RotateKey => "Rotate keys", "키 교체";
    RetireKeys => "Retire old keys", "옛 키 폐기";
    RemoveNode => "Remove node", "노드 제거";
    SetLoad => "Set load", "부하 설정";
    SetRouting => "Set routing", "라우팅 변경";
    Actions => "Live actions", "실시간 조작";
    // The live view's endpoint list (nodes the lab did not start); {0} is a strategy's name.
    EndpointsHeading => "Your nodes ({0})", "직접 실행하는 노드 ({0})";
    EndpointsHint => "The lab configures each node added here over its admin API, then sends it load.", "여기에 추가한 노드는 랩이 관리 API로 설정한 뒤 부하를 보냅니다.";
    AddEndpoint => "Add URL", "URL 추가";
    RemoveEndpoint => "Remove", "제거";
    // The live view's thresholds: the one that stopped the run early ({0} figure, {1} expression,
    // {2} value), and the verdicts once it ends.
    ThresholdStoppedEarly => "Stopped early: threshold {0} {1} failed at {2}", "일찍 멈춤: 임계값 {0} {1} 실패 (값 {2})";
    ThresholdsPending => "Thresholds ({0}): checked when the run ends", "임계값 ({0}개): 실행이 끝나면 검사";
    ThresholdsFailed => "Thresholds: {0} of {1} failed", "임계값: {1}개 중 {0}개 실패";
    ThresholdsHeld => "Thresholds: all {0} held", "임계값: {0}개 모두 통과";
    ThresholdHeld => "held", "통과";
    Play => "Play", "재생";
    Pause => "Pause", "일시 정지";
    Speed => "Speed", "속도";
    Timeline => "Timeline", "타임라인";
    Overlay => "Overlay a second recording…", "두 번째 기록 겹쳐 보기…";
    RangeStats => "Selected range", "선택한 구간";
    CompareTitle => "This run against the overlay", "이 실행과 겹친 기록 비교";
    CompareTolerance => "Flag changes beyond ±", "다음보다 큰 변화를 표시 ±";
    CompareFigure => "Figure", "지표";
    CompareThisRun => "This run", "이 실행";
    CompareOverlayRun => "Overlay", "겹친 기록";
    CompareDifference => "Difference", "차이";
    CompareRatio => "Ratio", "비율";
    CompareChange => "Change", "변화";
    Regression => "regression", "퇴보";
    Improvement => "improvement", "개선";
    Regressions => "regressions", "퇴보";
    Improvements => "improvements", "개선";
    RangeFrom => "Range starts at", "구간 시작";
    Presentation => "Presentation mode", "발표 모드";
    Language => "Language", "언어";
    NoRun => "No run yet: pick a scenario and press Start.", "아직 실행이 없습니다. 시나리오를 고르고 시작을 누르세요.";
    NoRecording => "Open a recording (.jsonl) or drop it on the window.", "기록 파일(.jsonl)을 열거나 창에 끌어다 놓으세요.";
    Starting => "Starting nodes…", "노드를 시작하는 중…";
    Running => "Running", "실행 중";
    Finished => "Finished", "완료";
    Requests => "requests", "요청";
    Failed => "failed", "실패";
    Session => "Session", "세션";
    Token => "Token", "토큰";
    Throughput => "Throughput", "처리량";
    RequestsPerSecond => "requests/s", "요청/초";
    Latency => "Latency", "지연 시간";
    Milliseconds => "ms", "밀리초";
    Memory => "Heap per node (stacked)", "노드별 힙 메모리 (누적)";
    StoreMemory => "Store memory", "저장소 메모리";
    Mebibytes => "MiB", "MiB";
    Users => "Users logged in vs sessions held", "로그인 사용자 대 보유 세션";
    UsersLoggedIn => "users logged in (clients)", "로그인한 사용자 (클라이언트)";
    SessionsHeld => "sessions held (servers)", "보유 세션 (서버)";
    Errors => "Errors by class", "오류 유형별";
    Unauthorized => "unauthorized (401)", "인증 실패 (401)";
    ServerError => "server error (5xx)", "서버 오류 (5xx)";
    Connection => "connection", "연결 실패";
    Seconds => "seconds", "초";
    Simulated => "simulated capacity", "시뮬레이션된 용량";
    SimulatedTip => "Each node is a simulated machine (workers, service time, store delay): these are not this laptop's raw speed.", "노드마다 시뮬레이션된 머신입니다 (워커, 서비스 시간, 저장소 지연). 이 노트북의 실제 속도가 아닙니다.";
    CpuPerRequest => "Node CPU per request", "요청당 노드 CPU 시간";
    CpuPerRequestLine => "CPU μs per request (all nodes)", "요청당 CPU μs (전체 노드)";
    DriverCpuPerRequestLine => "load driver (this lab)", "부하 생성기 (이 랩)";
    DriverSaturated => "The load driver is the bottleneck: these figures describe the driver, not the nodes", "부하 생성기가 병목입니다: 이 수치는 노드가 아니라 부하 생성기를 나타냅니다";
    AuthCheck => "Auth check per request", "요청당 인증 확인 시간";
    AuthCheckLine => "μs deciding who the caller is (mean, all nodes)", "호출자 확인에 걸린 μs (평균, 전체 노드)";
    Microseconds => "μs", "μs";
    BytesPerRequest => "Credential bytes per request", "요청당 자격 증명 바이트";
    BytesPerRequestLine => "Cookie or Authorization header bytes", "Cookie 또는 Authorization 헤더 바이트";
    Bytes => "bytes", "바이트";
    StoreOps => "Session store operations", "세션 저장소 연산";
    StoreOpsLine => "store operations/s (all nodes)", "저장소 연산/초 (전체 노드)";
    OpsPerSecond => "ops/s", "연산/초";
    StorePrimaries => "Sessions per Redis Cluster primary", "Redis 클러스터 프라이머리별 세션";
    StoreCpu => "Store CPU per request", "요청당 저장소 CPU 시간";
    StoreCpuLine => "database CPU μs per request (its backends for the nodes)", "요청당 데이터베이스 CPU μs (노드를 맡은 백엔드)";
    StoreRows => "Rows in the session table", "세션 테이블의 행";
    StoreRowsLine => "rows (sessions held)", "행 (보유 세션)";
    DeadTuplesLine => "dead row versions, awaiting vacuum", "정리(vacuum)를 기다리는 죽은 행 버전";
    DenylistEntries => "Denylist entries", "거부 목록 항목";
    DenylistLine => "logged-out tokens on the denylist (all nodes)", "거부 목록의 로그아웃된 토큰 (전체 노드)";
    RevokedUsersLine => "revoked users whose tokens are refused (all nodes)", "토큰이 거부되는 폐기된 사용자 (전체 노드)";
    NodesUp => "Nodes up", "동작 중인 노드";
    NodesUpLine => "nodes answering", "응답하는 노드";
    IssuerCalls => "Resource service: calls to the issuer", "리소스 서비스: 발급자 호출";
    ResourceRequestsLine => "requests to the resource service/s", "리소스 서비스 요청/초";
    IssuerCallsLine => "calls to the issuer/s (introspection, JWKS)", "발급자 호출/초 (인트로스펙션, JWKS)";
    // Exported charts and `authlab report` (src/report).
    ChartThroughput => "Throughput (requests/s)", "처리량 (요청/초)";
    ChartLatency => "Latency percentiles (ms)", "지연 시간 백분위수 (밀리초)";
    ChartMemory => "Heap memory per node, stacked (MiB)", "노드별 힙 메모리, 누적 (MiB)";
    ChartUsers => "Users logged in vs sessions held", "로그인한 사용자 대 서버가 보유한 세션";
    ChartErrors => "Errors by class (per second)", "유형별 오류 (초당)";
    ChartAxisTime => "seconds since start", "시작 후 경과 시간 (초)";
    ChartAxisLatencyLog => "ms (log scale)", "밀리초 (로그 눈금)";
    ChartAxisCount => "count", "개수";
    ChartAxisErrorsPerSecond => "errors/s", "오류/초";
    ChartStoreUsedMemory => "Redis used_memory (whole server)", "Redis used_memory (서버 전체)";
    ChartClusterUsedMemory => "Redis Cluster used_memory (all primaries)", "Redis 클러스터 used_memory (모든 프라이머리)";
    ChartStoreTableSize => "PostgreSQL session table (data, indexes, TOAST)", "PostgreSQL 세션 테이블 (데이터, 인덱스, TOAST)";
    ChartDidNotRun => "did not run", "실행되지 않음";
    YourServer => "your own server", "사용자 서버";
    NotMeasured => "not measured", "측정 안 됨";
    ProcessRss => "the process's RSS, not its heap", "힙이 아닌 프로세스 RSS";
    ChartNotMeasured => "not measured: your own server (only the lab's nodes report this)", "측정 안 됨: 사용자 서버 (랩의 노드만 보고함)";
    ChartSimulatedNote => "Simulated capacity: node workers, service time and store round trips were simulated, so throughput and latency reflect that setting, not this machine's raw speed.", "시뮬레이션된 용량: 노드의 워커, 서비스 시간, 저장소 왕복 지연을 시뮬레이션했습니다. 처리량과 지연 시간은 이 컴퓨터의 실제 속도가 아니라 이 설정을 반영합니다.";
    ReportScenarioFile => "Scenario file", "시나리오 파일";
    ReportMachine => "Machine", "실행 머신";
    ReportStarted => "Started", "시작 시각";
    ReportDuration => "Duration", "실행 시간";
    ReportVersion => "authlab version", "authlab 버전";
    ReportTotals => "Totals", "합계";
    ReportFigure => "figure", "항목";
    ReportEvents => "Events", "이벤트";
    ReportNoEvents => "No events.", "이벤트가 없습니다.";
    ReportEventTime => "at (s)", "시점 (초)";
    ReportEventAction => "action", "동작";
    ReportEventTarget => "target", "대상";
    ReportEventDetail => "detail", "내용";
    ReportCharts => "Charts", "차트";
    ReportProjection => "Projection", "규모 추정";
    ProjectionChartTitle => "Projected memory against logged-in users (GB)", "로그인 사용자 수에 따른 예상 메모리 (GB)";
    ProjectionUsersAxis => "logged-in users (millions)", "로그인 사용자 (백만 명)";
    ProjectionNodesLine => "on the nodes", "노드에";
    ProjectionStoreLine => "in the shared store", "공유 저장소에";
    CrossoverChartTitle => "Monthly cost against logged-in users, at the prices given", "로그인 사용자 수에 따른 월 비용 (입력한 가격 기준)";
    CrossoverCostAxis => "cost per month", "월 비용";
    CrossoverMarker => "they cross at {0} users", "사용자 {0}명에서 교차";
    // The headline figures above each strategy's charts (src/chart/headline.rs).
    HeadSessionsHeld => "sessions held", "보유 세션";
    HeadMemoryPerSession => "memory per session held", "보유 세션당 메모리";
    HeadNodeMemory => "node memory", "노드 메모리";
    HeadStoreMemory => "store memory", "저장소 메모리";
    HeadStoreOps => "store operations", "저장소 연산";
    HeadLatencyP99 => "p99 latency", "p99 지연 시간";
    HeadAuthCheck => "auth check per request", "요청당 인증 확인";
    HeadCredentialBytes => "credential per request", "요청당 자격 증명";
    HeadOtherNone => "{0}: –", "{0}: 값 없음";
    HeadOtherNoSessions => "{0}: holds no sessions", "{0}: 세션을 보관하지 않음";
    ProjectionMeasuredMarker => "measured up to here", "여기까지 측정";
    ReportProjectionIntro => "This run's measured unit costs, multiplied out (`authlab project` takes other figures)", "이 실행에서 측정한 단위 비용을 곱해 낸 값입니다 (`authlab project`로 다른 값을 넣을 수 있습니다)";
    // The projection's table (src/projection: the app's panel, `authlab project`, summary.md).
    ProjNodeMemory => "node memory", "노드 메모리";
    ProjStoreMemory => "store memory", "저장소 메모리";
    ProjAuthCheckCores => "auth-check cores", "인증 확인 코어";
    ProjNodeCores => "node cores", "노드 코어";
    ProjStoreCores => "store cores", "저장소 코어";
    ProjStoreOps => "store operations/s", "저장소 연산/초";
    ProjCredentials => "credentials on the wire", "전송되는 자격 증명";
    ProjMachines => "machines (nodes)", "머신 수 (노드)";
    ProjMonthlyCost => "monthly cost", "월 비용";
    ProjMeasuredUpTo => "measured up to", "측정한 최대치";
    ProjSessionsUnit => "sessions", "세션";
    ProjRpsUnit => "req/s", "요청/초";
    // The projection panel (src/app/projection.rs), in the live and replay views.
    ProjectionPanel => "Projection", "규모 추정";
    ProjIntro => "This run's measured unit costs, multiplied out to the population set here.", "이 실행에서 측정한 단위 비용을 여기서 정한 규모로 곱해 낸 값입니다.";
    ProjMeasuredOver => "Measured over", "측정 대상";
    ProjSpan => "{0}–{1} s ({2} ticks)", "{0}–{1}초 ({2}틱)";
    ProjSpanSoFar => "{0}–{1} s so far ({2} ticks)", "지금까지 {0}–{1}초 ({2}틱)";
    ProjNoTicks => "No ticks to measure yet.", "아직 측정할 틱이 없습니다.";
    ProjInputs => "Project to", "추정할 규모";
    ProjUsers => "logged-in users", "로그인 사용자";
    ProjLogins => "logins/s", "로그인/초";
    ProjAlgorithm => "token algorithm", "토큰 알고리즘";
    ProjAlgorithmRun => "the run's", "실행과 같음";
    ProjPayload => "session payload", "세션 페이로드";
    ProjLogouts => "logouts/s", "로그아웃/초";
    ProjConnections => "open connections", "열린 연결";
    ProjInputsLine => "Projected to {0} logged-in users, {1} requests/s, {2} logins/s, {3} logouts/s, {4} open connections, TTL {5} s, machines of {6} GiB and {7} cores", "로그인 사용자 {0}명, 요청 {1}/초, 로그인 {2}/초, 로그아웃 {3}/초, 열린 연결 {4}개, TTL {5}초, RAM {6} GiB와 코어 {7}개인 머신으로 추정";
    ProjTtl => "session TTL", "세션 유효 시간";
    ProjMachineRam => "machine RAM", "머신 RAM";
    ProjMachineCores => "machine cores", "머신 코어";
    ProjPrices => "Prices (empty: no cost)", "가격 (비우면 비용 없음)";
    ProjPriceRam => "per GB of RAM, month", "RAM GB당 월 가격";
    ProjPriceCore => "per core, month", "코어당 월 가격";
    ProjPriceEgress => "per GB of egress", "송신 GB당 가격";
    ProjNotANumber => "not a number: left out", "숫자가 아니라 제외됨";
    ProjDefaults => "Defaults", "기본값";
    ProjNotes => "Where each figure comes from", "각 수치의 출처";
    // The projection's notes (src/projection/notes.rs); {0}, {1}… are filled in.
    NoteSessionsInStore => "node memory: 0 per user, as the sessions live in the shared store (the nodes' heap moved by {0} B per session held over the run: connection buffers and caches, not sessions)", "노드 메모리: 세션이 공유 저장소에 있으므로 사용자당 0 (실행 동안 노드의 힙이 보유 세션당 {0} B씩 움직였지만, 세션이 아니라 연결 버퍼와 캐시입니다)";
    NoteAuthCheckIncludesStore => "auth-check time includes the round trip to the shared store: it is time, not all CPU, so auth-check cores are an upper bound", "인증 확인 시간에는 공유 저장소까지의 왕복이 들어 있습니다. 모두 CPU가 아니라 걸린 시간이므로 인증 확인 코어는 상한값입니다";
    NoteNotMeasured => "{0}: not measured in this run, so not projected", "{0}: 이 실행에서 측정되지 않아 추정하지 않았습니다";
    NoteReach => "{0}: measured up to {1} {2}; projected to {3}: ×{4}, {5}", "{0}: {1} {2}까지 측정, {3}(으)로 추정: ×{4}, {5}";
    NoteLinear => "assumes linear growth", "선형 증가를 가정합니다";
    NoteWithin => "within the measured range", "측정한 범위 안입니다";
    NoteNodeMemory => "node memory (heap per session × users)", "노드 메모리 (세션당 힙 × 사용자)";
    NoteStoreMemory => "store memory (bytes per session × users)", "저장소 메모리 (세션당 바이트 × 사용자)";
    NoteCpu => "CPU ({0} per request × requests/s)", "CPU (요청당 {0} × 요청/초)";
    NoteTokenMemory => "node memory: refresh families ({0} B per login × users) plus denylist entries ({1} B × logouts/s × TTL); 0 where the run kept neither", "노드 메모리: 리프레시 패밀리 (로그인당 {0} B × 사용자)와 거부 목록 항목 ({1} B × 로그아웃/초 × TTL)의 합. 실행에서 둘 다 보관하지 않았다면 0";
    NoteTablesNodes => "{0}: includes {1} of hash-table buckets (the memory store's shards and user index), which double in steps rather than grow per session: modelled as those steps, for the sessions spread over {2} machine(s)", "{0}: 해시 테이블 버킷 {1}이(가) 들어 있습니다 (메모리 저장소의 샤드와 사용자 색인). 버킷은 세션마다 늘지 않고 두 배씩 계단처럼 늘어나므로, 세션을 {2}대 머신에 나눈 계단으로 모델링했습니다";
    NoteTablesStore => "{0}: includes {1} of Redis's bucket arrays (main and expires dicts, 8 B per bucket each, the next power of two of the keys), which double in steps: modelled as those steps, assuming the run's keys are the only ones in the database", "{0}: Redis 버킷 배열 {1}이(가) 들어 있습니다 (메인과 만료 딕셔너리, 버킷당 각 8 B, 키 수 이상의 가장 작은 2의 거듭제곱). 버킷은 두 배씩 계단처럼 늘어나므로 그 계단으로 모델링했고, 데이터베이스에 이 실행의 키만 있다고 가정합니다";
    NoteDenylist => "denylist: logouts/s × TTL = {0} entries held at once (each waits out its token's lifetime; Little's law), against at most {1} in the run", "거부 목록: 로그아웃/초 × TTL = 동시에 보관하는 항목 {0}개 (각 항목은 토큰 수명이 끝날 때까지 남습니다. 리틀의 법칙). 실행에서는 최대 {1}개";
    NoteConnections => "connection buffers: {0} B per open connection × {1} connections, whoever is logged in (measured up to {2} connections)", "연결 버퍼: 열린 연결당 {0} B × 연결 {1}개, 누가 로그인했는지와 무관 ({2}개 연결까지 측정)";
    NoteConnectionsNotMeasured => "connection buffers: the open connections did not vary apart from the rest in this run, so their buffers are inside the other figures, not projected per connection", "연결 버퍼: 이 실행에서는 열린 연결 수가 다른 값과 따로 변하지 않아, 버퍼가 다른 수치 안에 들어 있고 연결당으로 추정하지 않았습니다";
    NotePayloadMemory => "payload of {0} B instead of the run's {1} B: one byte of node heap per byte, as the memory store keeps the encoded data exactly (the projection proof measured 1,802 B more per session for 1,800 B more payload)", "실행의 {1} B 대신 페이로드 {0} B: 메모리 저장소는 인코딩한 데이터를 그대로 보관하므로 바이트마다 노드 힙 1바이트 (규모 추정 검증에서 페이로드 1,800 B 증가에 세션당 1,802 B 증가를 측정)";
    NotePayloadRedis => "payload of {0} B instead of the run's {1} B, at one byte per byte: a lower bound, as Redis's allocator (jemalloc) rounds each value up to its size class (the projection proof measured 1.24 B of used_memory per payload byte between 200 and 2000 B); run at your payload for a measured figure", "실행의 {1} B 대신 페이로드 {0} B, 바이트당 1바이트로 계산: Redis의 할당자(jemalloc)가 값을 크기 등급으로 올려 잡으므로 하한값입니다 (규모 추정 검증에서 200~2000 B 사이 페이로드 바이트당 used_memory 1.24 B 측정). 측정값이 필요하면 그 페이로드로 실행하세요";
    NotePayloadPostgres => "payload of {0} B instead of the run's {1} B, at one byte per byte: PostgreSQL compresses values over about 2 kB (TOAST), so a compressible payload costs less; run at your payload for a measured figure", "실행의 {1} B 대신 페이로드 {0} B, 바이트당 1바이트로 계산: PostgreSQL은 약 2 kB가 넘는 값을 압축하므로(TOAST) 압축되는 페이로드는 더 적게 듭니다. 측정값이 필요하면 그 페이로드로 실행하세요";
    NotePayloadUnknown => "a payload of {0} B was asked for, but this recording does not say its run's: the run's own bytes per session are projected", "페이로드 {0} B를 요청했지만 이 기록에는 실행의 페이로드가 없어 실행의 세션당 바이트를 그대로 추정했습니다";
    NoteAlgorithm => "{0} instead of the run's {1}: each auth check (and each request's CPU) {2} and each token {3} B, as measured on this machine now by the token node's own check of both", "실행의 {1} 대신 {0}: 인증 확인(과 요청당 CPU)마다 {2}, 토큰마다 {3} B. 토큰 노드의 검사로 지금 이 머신에서 둘 다 측정한 값입니다";
    NoteAlgorithmUnknown => "{0} was asked for, but this recording does not say which algorithm its run used: the run's own token costs are projected", "{0}을(를) 요청했지만 이 기록에는 실행이 쓴 알고리즘이 없어 실행의 토큰 비용을 그대로 추정했습니다";
    NoteIdleCpu => "node cores include {0} cores per node for being up whatever it serves (in the lab: four scrapes a second, sweeps, timers), on {1} machine(s)", "노드 코어에는 처리량과 무관하게 켜져 있는 데 드는 노드당 {0}코어가 들어 있습니다 (랩에서는 초당 네 번의 수집, 정리 작업, 타이머). 머신 {1}대 기준";
    NoteLoginCpu => "login CPU could not be told apart from request CPU in this run: it is inside CPU per request", "이 실행에서는 로그인 CPU를 요청 CPU와 구분할 수 없었습니다. 요청당 CPU 안에 들어 있습니다";
    ReportTimeSeries => "Time series (CSV)", "시계열 (CSV)";
    ReportTruncated => "The recording's last line was incomplete and was left out (the run was killed, or was still being written).", "기록의 마지막 줄이 불완전하여 제외했습니다 (실행이 강제 종료되었거나 아직 기록 중이었습니다).";
    ReportRequestsOk => "requests ok", "성공한 요청";
    ReportRequestsFailed => "requests failed", "실패한 요청";
    ReportServerRequests => "requests counted by the nodes", "노드가 센 요청";
    ReportThroughput => "throughput (req/s)", "처리량 (요청/초)";
    ReportLatencyP50 => "latency p50 (ms)", "지연 시간 p50 (밀리초)";
    ReportLatencyP99 => "latency p99 (ms)", "지연 시간 p99 (밀리초)";
    ReportLatencyP999 => "latency p99.9 (ms)", "지연 시간 p99.9 (밀리초)";
    ReportLogins => "logins", "로그인";
    ReportForcedRelogins => "forced re-logins", "강제 재로그인";
    ReportSessionsPeak => "sessions held, peak", "보유 세션 최대치";
    ReportHeapPeak => "heap peak, all nodes (MiB)", "힙 최대치, 전체 노드 (MiB)";
    ReportRssPeak => "RSS peak, all nodes (MiB)", "RSS 최대치, 전체 노드 (MiB)";
    ReportCredentialBytes => "credential bytes per request", "요청당 자격 증명 바이트";
    ReportStoreKeysPeak => "store keys, peak", "저장소 키 최대치";
    ReportStoreMemoryPeak => "store used_memory, peak (MiB)", "저장소 used_memory 최대치 (MiB)";
    PrimaryLine => "primary {0}", "프라이머리 {0}";
    PrimaryOpsLine => "primary {0}: commands/s (Redis's own count)", "프라이머리 {0}: 명령/초 (Redis 자체 집계)";
    PrimaryMemoryLine => "primary {0} used_memory", "프라이머리 {0} used_memory";
    ReportStoreRoundTrip => "store round trip p50 / p99 (μs)", "저장소 왕복 시간 p50 / p99 (μs)";
    ReportDriverCpu => "load driver CPU per request (μs)", "부하 생성기의 요청당 CPU (μs)";
    ReportConnectionNoNodeUp => "connection: no node up", "연결 실패: 살아 있는 노드 없음";
    ReportConnectionRefused => "connection: refused", "연결 실패: 거부됨";
    ReportConnectionTimedOut => "connection: timed out", "연결 실패: 시간 초과";
    ReportConnectionClosed => "connection: closed mid-answer", "연결 실패: 응답 도중 끊김";
    ReportConnectionOther => "connection: other", "연결 실패: 기타";
    ReportPrimarySessionsPeak => "primary {0}: sessions, peak", "프라이머리 {0}: 세션 최대치";
    ReportPrimaryMemoryPeak => "primary {0}: used_memory, peak (MiB)", "프라이머리 {0}: used_memory 최대치 (MiB)";
    // The attack lab panel (src/app/attack_lab.rs); each attack's own texts are in src/attack/catalogue.rs.
    AttackLab => "Attack lab", "공격 실습";
    AttackIntro => "Starts its own session node and two token nodes (RS256, the second with a denylist), fires each attack at them over real HTTP, and shows the request, the answer and why it matters.", "세션 노드 하나와 토큰 노드 둘(RS256, 둘째는 거부 목록 사용)을 직접 띄우고, 실제 HTTP로 공격을 하나씩 보낸 뒤 요청과 응답, 그리고 그것이 왜 중요한지 보여 줍니다.";
    AttackRunAll => "Run all attacks", "모든 공격 실행";
    AttackRunOne => "Run this attack", "이 공격 실행";
    AttackChoice => "attack to run alone", "따로 실행할 공격";
    AttackRunning => "Attacking…", "공격하는 중…";
    AttackNoResults => "No results yet: run the whole catalogue or one attack.", "아직 결과가 없습니다. 전체 목록이나 공격 하나를 실행하세요.";
    AttackExpected => "Expected", "기대한 응답";
    AttackGot => "Got", "실제 응답";
    AttackNote => "Note", "참고";
    AttackWhy => "Why it matters", "왜 중요한가";
    AttackRequest => "Request", "요청";
    AttackResponse => "Response", "응답";
    AttackSetupStep => "setup step", "준비 단계";
    AttackDecisive => "decides the outcome", "판정 기준";
    AttackTokenSent => "Token sent (decoded, not verified)", "보낸 토큰 (해독만, 검증 안 함)";
    AttackNoAnswer => "no answer", "응답 없음";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages() {
        for text in Text::ALL {
            let (en, ko) = text.texts();
            assert!(!en.is_empty() && !ko.is_empty(), "{text:?}");
        }
    }

    /// The texts that read the same in both languages: units, symbols.
    const SAME_IN_KOREAN: &[Text] = &[Text::Mebibytes, Text::Microseconds];

    #[test]
    fn every_text_is_translated_to_korean_unless_it_reads_the_same() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for text in Text::ALL {
            let (en, ko) = text.texts();
            if SAME_IN_KOREAN.contains(text) {
                assert_eq!(en, ko, "{text:?} is on the list of texts that read the same");
            } else {
                assert!(en != ko && hangul(ko), "{text:?} is not translated to Korean: {ko:?}");
            }
        }
    }

    #[test]
    fn a_template_has_the_same_placeholders_in_both_languages() {
        for text in Text::ALL {
            let (en, ko) = text.texts();
            for i in 0..10 {
                let placeholder = format!("{{{i}}}");
                assert_eq!(en.contains(&placeholder), ko.contains(&placeholder), "{text:?} {placeholder}");
            }
        }
        assert_eq!(
            Language::English.fill(Text::NoteNotMeasured, &["CPU"]),
            "CPU: not measured in this run, so not projected"
        );
    }
}
