import CryptoKit
import Foundation
import LocalAuthentication
import Security
import SteleFFI

/// A P-256 holder key in the Secure Enclave (CryptoKit
/// `SecureEnclave.P256.Signing.PrivateKey`). The private key never leaves
/// the Enclave, so it never enters Rust: the wallet calls `sign`, which
/// returns CryptoKit's raw `r‖s` (JOSE's form; `SignatureEncoding.raw`).
///
/// The Enclave gives an opaque, device-bound `dataRepresentation` of the
/// key; it is kept in the Keychain under `alias`
/// (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`), so the same key is found
/// again after a restart. Add it with `wallet.addHardwareKey(alias:signer:)`;
/// after each open, `wallet.bindHardwareKey(alias:signer:)`.
public final class SecureEnclaveSigner: Signer, @unchecked Sendable {
    public let alias: String
    private let key: SecureEnclave.P256.Signing.PrivateKey

    private init(alias: String, key: SecureEnclave.P256.Signing.PrivateKey) {
        self.alias = alias
        self.key = key
    }

    /// Whether this device has a Secure Enclave (simulators do not).
    public static var isAvailable: Bool { SecureEnclave.isAvailable }

    /// The key `alias`, created on first use. With `requireUserPresence`,
    /// each signature asks for Face ID / Touch ID / the passcode.
    public static func getOrCreate(alias: String, requireUserPresence: Bool = false) throws -> SecureEnclaveSigner {
        guard SecureEnclave.isAvailable else {
            throw StelError.KeyStore(detail: "this device has no Secure Enclave")
        }
        if let blob = try loadBlob(alias: alias) {
            do {
                return SecureEnclaveSigner(alias: alias, key: try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: blob))
            } catch {
                throw StelError.KeyStore(detail: "the Secure Enclave key \(alias) cannot be used on this device")
            }
        }
        var flags: SecAccessControlCreateFlags = [.privateKeyUsage]
        if requireUserPresence { flags.insert(.userPresence) }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, flags, &error) else {
            throw StelError.KeyStore(detail: "cannot create the key's access control")
        }
        let key: SecureEnclave.P256.Signing.PrivateKey
        do {
            key = try SecureEnclave.P256.Signing.PrivateKey(accessControl: access)
        } catch {
            throw StelError.KeyStore(detail: "the Secure Enclave could not create a key")
        }
        try storeBlob(key.dataRepresentation, alias: alias)
        return SecureEnclaveSigner(alias: alias, key: key)
    }

    /// Deletes the key's Keychain item (the Enclave key becomes unreachable).
    public static func delete(alias: String) {
        SecItemDelete(query(alias: alias) as CFDictionary)
    }

    // MARK: Signer

    public func algorithm() -> KeyAlg { .p256 }

    public func signatureEncoding() -> SignatureEncoding { .raw }

    public func publicKeyJwk() -> String {
        // x963: 0x04 ‖ x (32) ‖ y (32)
        let point = key.publicKey.x963Representation
        let x = point.subdata(in: 1 ..< 33)
        let y = point.subdata(in: 33 ..< 65)
        return #"{"kty":"EC","crv":"P-256","x":"\#(base64url(x))","y":"\#(base64url(y))"}"#
    }

    public func sign(message: Data) throws -> Data {
        do {
            return try key.signature(for: message).rawRepresentation
        } catch let e as LAError where e.code == .userCancel || e.code == .appCancel || e.code == .systemCancel {
            throw StelError.Cancelled
        } catch {
            throw StelError.KeyStore(detail: "the Secure Enclave did not sign")
        }
    }

    // MARK: Keychain storage of the key's device-bound blob

    private static func query(alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: "dev.stele.secure-enclave",
            kSecAttrAccount as String: alias,
        ]
    }

    private static func loadBlob(alias: String) throws -> Data? {
        var q = query(alias: alias)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        case errSecInteractionNotAllowed: throw StelError.KeyStore(detail: "the device is locked")
        default: throw StelError.KeyStore(detail: "Keychain error \(status)")
        }
    }

    private static func storeBlob(_ blob: Data, alias: String) throws {
        var q = query(alias: alias)
        q[kSecValueData as String] = blob
        q[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw StelError.KeyStore(detail: "Keychain error \(status) storing the key")
        }
    }
}

func base64url(_ data: Data) -> String {
    data.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
