import CryptoKit
import Foundation
import LocalAuthentication
import Security
import SteleFFI

/// Wraps the wallet's data key with AES-256-GCM (CryptoKit) under a key kept
/// in the Keychain as a generic password item, accessible only when the
/// device is unlocked and never synced or migrated
/// (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`). Wrapped form: CryptoKit's
/// combined box, `nonce (12) ‖ ciphertext ‖ tag (16)`.
///
/// With `requireUserPresence`, reading the key asks for Face ID / Touch ID /
/// the passcode (`SecAccessControl` `.userPresence`).
public final class KeychainKeyWrap: KeyWrap, @unchecked Sendable {
    private let service: String
    private let account: String
    private let requireUserPresence: Bool
    private static let aad = Data("stele-wallet-data-key".utf8)

    public init(service: String = "dev.stele.wallet", account: String = "key-wrap", requireUserPresence: Bool = false) {
        self.service = service
        self.account = account
        self.requireUserPresence = requireUserPresence
    }

    public func wrapKey(dataKey: Data) throws -> Data {
        let key = try loadOrCreateKey()
        do {
            let box = try AES.GCM.seal(dataKey, using: key, authenticating: Self.aad)
            guard let combined = box.combined else { throw StelError.Other(detail: "AES-GCM box without a combined form") }
            return combined
        } catch let e as StelError {
            throw e
        } catch {
            throw StelError.KeyStore(detail: "CryptoKit could not seal the data key")
        }
    }

    public func unwrapKey(wrapped: Data) throws -> Data {
        guard let key = try loadKey() else {
            throw StelError.KeyStore(detail: "the wallet's Keychain key is gone (new device or restored without it)")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            return try AES.GCM.open(box, using: key, authenticating: Self.aad)
        } catch {
            // CryptoKitError.authenticationFailure (another key) or a box
            // that is not one: never other bytes.
            throw StelError.WrongKey
        }
    }

    // MARK: Keychain

    private func baseQuery() -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    private func loadKey() throws -> SymmetricKey? {
        var query = baseQuery()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        if requireUserPresence {
            let context = LAContext()
            context.localizedReason = "Open your wallet"
            query[kSecUseAuthenticationContext as String] = context
        }
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == 32 else {
                throw StelError.KeyStore(detail: "the Keychain item is not a 256-bit key")
            }
            return SymmetricKey(data: data)
        case errSecItemNotFound:
            return nil
        case errSecUserCanceled:
            throw StelError.Cancelled
        case errSecInteractionNotAllowed:
            throw StelError.KeyStore(detail: "the device is locked")
        default:
            throw StelError.KeyStore(detail: "Keychain error \(status)")
        }
    }

    private func loadOrCreateKey() throws -> SymmetricKey {
        if let key = try loadKey() { return key }
        let key = SymmetricKey(size: .bits256)
        var query = baseQuery()
        query[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        if requireUserPresence {
            var error: Unmanaged<CFError>?
            guard let access = SecAccessControlCreateWithFlags(
                nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .userPresence, &error
            ) else {
                throw StelError.KeyStore(detail: "cannot create the Keychain access control")
            }
            query[kSecAttrAccessControl as String] = access
        } else {
            query[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        }
        let status = SecItemAdd(query as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw StelError.KeyStore(detail: "Keychain error \(status) storing the wallet key")
        }
        return key
    }

    /// Deletes the Keychain key: the wallet wrapped by it can no longer be opened.
    public func deleteKey() {
        SecItemDelete(baseQuery() as CFDictionary)
    }
}
