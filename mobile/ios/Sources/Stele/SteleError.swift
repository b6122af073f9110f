import SteleFFI

/// A reason a credential was refused: a stable code (`untrusted_issuer`) and plain words.
public struct Reason: Equatable, Sendable {
    public let code: String
    public let message: String
}

/// Why a wallet call failed, as the app acts on it. Every `StelError` of the
/// bindings maps to exactly one case (an exhaustive `switch`: a new Rust
/// variant fails this package's build instead of being guessed at).
public enum SteleError: Error, Equatable {
    /// The Keychain key or passphrase does not open the wallet or backup.
    case wrongKey
    /// The user dismissed an authentication prompt; nothing was done.
    case cancelled
    /// The key store refused (locked, key removed).
    case keyStore(String)
    /// A hardware key has no signer yet: call `bindHardwareKey(alias:signer:)`.
    case keyNotBound(alias: String)
    /// The credential was checked and refused; show the reasons. Nothing was stored.
    case invalidCredential([Reason])
    /// The input cannot be read (not a credential, not a challenge, unknown claim).
    case invalidInput(String)
    /// The challenge is too old: ask the counter for a new QR code.
    case challengeExpired
    /// No such credential, key or wallet.
    case notFound(String)
    /// A wallet already exists there: open it.
    case alreadyExists(String)
    /// The network or chain node could not be reached: nothing was decided; retry.
    case network(String)
    /// The wallet file is damaged or was tampered with: restore from a backup.
    case storageCorrupt(String)
    /// The wallet file could not be read or written (disk full, locked).
    case storage(String)
    /// Written by a newer Stele: update the app.
    case unsupported(String)
    /// A bug or an unexpected platform failure: report it.
    case other(String)

    /// The one mapping from the bindings' error.
    public init(_ e: StelError) {
        switch e {
        case .WrongKey: self = .wrongKey
        case .Cancelled: self = .cancelled
        case let .KeyStore(detail): self = .keyStore(detail)
        case let .KeyNotBound(alias): self = .keyNotBound(alias: alias)
        case let .Rejected(reasons): self = .invalidCredential(reasons.map { Reason(code: $0.code, message: $0.message) })
        case let .InvalidInput(detail): self = .invalidInput(detail)
        case .ChallengeExpired: self = .challengeExpired
        case let .NotFound(detail): self = .notFound(detail)
        case let .AlreadyExists(detail): self = .alreadyExists(detail)
        case let .Unavailable(detail): self = .network(detail)
        case let .StorageCorrupt(detail): self = .storageCorrupt(detail)
        case let .Storage(detail): self = .storage(detail)
        case let .Unsupported(detail): self = .unsupported(detail)
        case let .Other(detail): self = .other(detail)
        }
    }
}
