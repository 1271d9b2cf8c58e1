// Secret key files (docs/formats/keys.md).
//
//   key kind    PEM label                        contents
//   Ed25519     PRIVATE KEY                      PKCS#8 (RFC 8410), OID 1.3.101.112
//   BLS12-381   FLEEK BLS12-381 PRIVATE KEY      32-byte big-endian secret scalar
//   secp256k1   EC PRIVATE KEY                   SEC1 (RFC 5915), named curve secp256k1
//
// The Ed25519 and secp256k1 files are standard: `openssl pkey -in FILE -text` reads them, and
// a secp256k1 key from `openssl ecparam -name secp256k1 -genkey` (or its PKCS#8 form) loads.
// Key files are written atomically with mode 0600 and read only when no other user can access
// them. Encrypted PEM is refused with an explicit message.
#pragma once

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

namespace fleek::crypto {

enum class KeyFileErrorCode : uint8_t {
    not_found,
    permission_denied,
    permissions_too_open,
    not_regular_file,
    too_large,
    io,
    already_exists,
    malformed,       // not PEM, corrupt base64 or DER, trailing data
    encrypted,       // a password-protected key
    wrong_key_type,  // a valid key of another kind than expected
    invalid_key,     // the right kind, but the key itself is unusable (zero scalar, bad curve)
};

struct KeyFileError {
    KeyFileErrorCode code;
    std::string message;
};

inline constexpr size_t key_file_max_size = 16 * 1024;

inline constexpr std::string_view bls_pem_label = "FLEEK BLS12-381 PRIVATE KEY";

// --- PEM text <-> keys (pure functions, also the fuzz targets) ---------------------------------
SecretBuffer ed25519_key_to_pem(const ed25519::SecretKey& key);
SecretBuffer bls_key_to_pem(const bls::SecretKey& key);
SecretBuffer secp256k1_key_to_pem(const ethereum::SecretKey& key);

Result<ed25519::SecretKey, KeyFileError> ed25519_key_from_pem(ByteSpan pem);
Result<bls::SecretKey, KeyFileError> bls_key_from_pem(ByteSpan pem);
Result<ethereum::SecretKey, KeyFileError> secp256k1_key_from_pem(ByteSpan pem);

using AnySecretKey = std::variant<ed25519::SecretKey, bls::SecretKey, ethereum::SecretKey>;
// Whatever kind of key the PEM holds.
Result<AnySecretKey, KeyFileError> any_key_from_pem(ByteSpan pem);

// --- files ----------------------------------------------------------------------------------------
// Reads a key file, refusing one that other users can access. Messages name the path.
Result<SecretBuffer, KeyFileError> read_key_file(const std::filesystem::path& path);
// Writes atomically with mode 0600 (parent directories 0700). Without overwrite, an existing
// file is an error and is left untouched.
Result<void, KeyFileError> write_key_file(const std::filesystem::path& path, ByteSpan pem, bool overwrite);

Result<NodeSecretKey, KeyFileError> load_node_key(const std::filesystem::path& path);
Result<ClientSecretKey, KeyFileError> load_client_key(const std::filesystem::path& path);
Result<ConsensusSecretKey, KeyFileError> load_consensus_key(const std::filesystem::path& path);
Result<AccountSecretKey, KeyFileError> load_account_key(const std::filesystem::path& path);
Result<AnySecretKey, KeyFileError> load_any_key(const std::filesystem::path& path);

Result<void, KeyFileError> save_node_key(const std::filesystem::path& path, const NodeSecretKey& key, bool overwrite);
Result<void, KeyFileError> save_client_key(const std::filesystem::path& path, const ClientSecretKey& key, bool overwrite);
Result<void, KeyFileError> save_consensus_key(const std::filesystem::path& path, const ConsensusSecretKey& key,
                                              bool overwrite);
Result<void, KeyFileError> save_account_key(const std::filesystem::path& path, const AccountSecretKey& key,
                                            bool overwrite);

}  // namespace fleek::crypto
