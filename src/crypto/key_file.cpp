#include "crypto/key_file.h"

#include "util/assert.h"
#include "util/file.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace fleek::crypto {

namespace {

struct BioFree {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct P8Free {
    void operator()(PKCS8_PRIV_KEY_INFO* info) const noexcept { PKCS8_PRIV_KEY_INFO_free(info); }
};
struct BnFree {
    void operator()(BIGNUM* bn) const noexcept { BN_clear_free(bn); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* bld) const noexcept { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* params) const noexcept { OSSL_PARAM_free(params); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

KeyFileError error(KeyFileErrorCode code, std::string message) { return KeyFileError{code, std::move(message)}; }

std::string openssl_reason() {
    const unsigned long code = ERR_peek_last_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    std::string text = reason != nullptr ? reason : "unknown error";
    ERR_clear_error();
    return text;
}

// The contents of a memory BIO, moved into a buffer that is wiped when freed.
SecretBuffer drain(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    FLEEK_ASSERT(size > 0 && data != nullptr);
    SecretBuffer out;
    out.assign(ByteSpan(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size)));
    return out;
}

BioPtr secure_memory_bio() {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    FLEEK_ASSERT(bio != nullptr);
    return bio;
}

// One decoded PEM block: its label and DER (or raw) body.
struct PemBlock {
    std::string label;
    SecretBuffer body;
};

Result<PemBlock, KeyFileError> read_pem_block(ByteSpan pem) {
    if (pem.empty()) return fail(error(KeyFileErrorCode::malformed, "the key file is empty"));
    if (pem.size() > key_file_max_size) return fail(error(KeyFileErrorCode::too_large, "the key file is too large"));
    ERR_clear_error();
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    FLEEK_ASSERT(bio != nullptr);
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long size = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &size) != 1) {
        const unsigned long code = ERR_peek_last_error();
        const bool no_pem = ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
        const std::string reason = openssl_reason();
        if (no_pem) {
            return fail(error(KeyFileErrorCode::malformed, "no PEM block found (expected a line like -----BEGIN PRIVATE KEY-----)"));
        }
        return fail(error(KeyFileErrorCode::malformed, "corrupt PEM data: " + reason));
    }
    PemBlock block;
    block.label = name;
    const bool has_header = header != nullptr && header[0] != '\0';
    const bool encrypted_header = has_header && std::string_view(header).find("ENCRYPTED") != std::string_view::npos;
    block.body.assign(ByteSpan(data, static_cast<size_t>(size)));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, static_cast<size_t>(size));

    if (encrypted_header || block.label == "ENCRYPTED PRIVATE KEY") {
        return fail(error(KeyFileErrorCode::encrypted,
                          "the key is encrypted with a password; Fleek key files must be unencrypted "
                          "(protect them with file permissions instead)"));
    }
    if (has_header) return fail(error(KeyFileErrorCode::malformed, "unexpected PEM headers"));

    // A second block would be ambiguous: which key is meant?
    char* extra_name = nullptr;
    char* extra_header = nullptr;
    unsigned char* extra_data = nullptr;
    long extra_size = 0;
    if (PEM_read_bio(bio.get(), &extra_name, &extra_header, &extra_data, &extra_size) == 1) {
        OPENSSL_free(extra_name);
        OPENSSL_free(extra_header);
        OPENSSL_clear_free(extra_data, static_cast<size_t>(extra_size));
        return fail(error(KeyFileErrorCode::malformed, "the file holds more than one PEM block"));
    }
    ERR_clear_error();
    return block;
}

std::string describe_label(std::string_view label) { return fmt::format("-----BEGIN {}-----", label); }

Result<PkeyPtr, KeyFileError> decode_pkcs8(const SecretBuffer& der) {
    const unsigned char* cursor = der.data();
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> info(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size())));
    if (info == nullptr) return fail(error(KeyFileErrorCode::malformed, "corrupt PKCS#8 key: " + openssl_reason()));
    if (cursor != der.data() + der.size()) {
        return fail(error(KeyFileErrorCode::malformed, "trailing bytes after the PKCS#8 key"));
    }
    PkeyPtr key(EVP_PKCS82PKEY(info.get()));
    if (key == nullptr) return fail(error(KeyFileErrorCode::malformed, "unusable PKCS#8 key: " + openssl_reason()));
    return key;
}

Result<PkeyPtr, KeyFileError> decode_sec1(const SecretBuffer& der) {
    const unsigned char* cursor = der.data();
    PkeyPtr key(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &cursor, static_cast<long>(der.size())));
    if (key == nullptr) return fail(error(KeyFileErrorCode::malformed, "corrupt EC private key: " + openssl_reason()));
    if (cursor != der.data() + der.size()) {
        return fail(error(KeyFileErrorCode::malformed, "trailing bytes after the EC private key"));
    }
    return key;
}

Result<ed25519::SecretKey, KeyFileError> ed25519_from_pkey(EVP_PKEY* key) {
    SecretArray<ed25519::seed_size> seed;
    size_t size = seed.size();
    if (EVP_PKEY_get_raw_private_key(key, seed.data(), &size) != 1 || size != seed.size()) {
        ERR_clear_error();
        return fail(error(KeyFileErrorCode::invalid_key, "the Ed25519 key has no 32-byte private part"));
    }
    auto secret = ed25519::SecretKey::from_seed(seed.view());
    if (!secret) return fail(error(KeyFileErrorCode::invalid_key, "invalid Ed25519 key"));
    return std::move(*secret);
}

Result<ethereum::SecretKey, KeyFileError> secp256k1_from_pkey(EVP_PKEY* key) {
    char group[64] = {};
    size_t group_size = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_size) != 1) {
        ERR_clear_error();
        return fail(error(KeyFileErrorCode::wrong_key_type,
                          "the EC key does not name its curve (explicit parameters are not supported)"));
    }
    if (std::string_view(group) != "secp256k1") {
        return fail(error(KeyFileErrorCode::wrong_key_type,
                          fmt::format("the EC key is on curve {}, expected secp256k1", group)));
    }
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1 || raw == nullptr) {
        ERR_clear_error();
        return fail(error(KeyFileErrorCode::invalid_key, "the EC key has no private part"));
    }
    std::unique_ptr<BIGNUM, BnFree> scalar(raw);
    SecretArray<ethereum::secret_key_size> bytes;
    if (BN_bn2binpad(scalar.get(), bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size())) {
        ERR_clear_error();
        return fail(error(KeyFileErrorCode::invalid_key, "the secp256k1 private key is longer than 32 bytes"));
    }
    auto secret = ethereum::SecretKey::from_bytes(bytes.view());
    if (!secret) return fail(error(KeyFileErrorCode::invalid_key, "the secp256k1 private key is zero or too large"));
    return std::move(*secret);
}

std::string pkey_kind(EVP_PKEY* key) {
    const char* name = EVP_PKEY_get0_type_name(key);
    return name != nullptr ? name : "unknown";
}

}  // namespace

// ---------------------------------------------------------------------------------- encoding

SecretBuffer ed25519_key_to_pem(const ed25519::SecretKey& key) {
    PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.seed().data(), key.seed().size()));
    FLEEK_ASSERT(pkey != nullptr);
    BioPtr bio = secure_memory_bio();
    FLEEK_ASSERT(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return drain(bio.get());
}

SecretBuffer bls_key_to_pem(const bls::SecretKey& key) {
    const SecretArray<bls::secret_key_size> scalar = key.to_bytes();
    BioPtr bio = secure_memory_bio();
    const std::string label(bls_pem_label);
    FLEEK_ASSERT(PEM_write_bio(bio.get(), label.c_str(), "", scalar.data(), static_cast<long>(scalar.size())) > 0);
    return drain(bio.get());
}

SecretBuffer secp256k1_key_to_pem(const ethereum::SecretKey& key) {
    std::unique_ptr<BIGNUM, BnFree> scalar(BN_secure_new());
    FLEEK_ASSERT(scalar != nullptr);
    FLEEK_ASSERT(BN_bin2bn(key.bytes().data(), static_cast<int>(key.bytes().size()), scalar.get()) != nullptr);
    const ByteArray<65> point = key.public_key().uncompressed();

    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
    FLEEK_ASSERT(builder != nullptr);
    FLEEK_ASSERT(OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) == 1);
    FLEEK_ASSERT(OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) == 1);
    FLEEK_ASSERT(OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1);
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder.get()));
    FLEEK_ASSERT(params != nullptr);

    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    FLEEK_ASSERT(context != nullptr);
    FLEEK_ASSERT(EVP_PKEY_fromdata_init(context.get()) == 1);
    EVP_PKEY* raw = nullptr;
    FLEEK_ASSERT(EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) == 1);
    PkeyPtr pkey(raw);

    BioPtr bio = secure_memory_bio();
    FLEEK_ASSERT(PEM_write_bio_PrivateKey_traditional(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return drain(bio.get());
}

// ---------------------------------------------------------------------------------- decoding

Result<AnySecretKey, KeyFileError> any_key_from_pem(ByteSpan pem) {
    auto block = read_pem_block(pem);
    if (!block) return fail(std::move(block.error()));

    if (block->label == bls_pem_label) {
        if (block->body.size() != bls::secret_key_size) {
            return fail(error(KeyFileErrorCode::malformed,
                              fmt::format("a BLS12-381 key is {} bytes, this one is {}", bls::secret_key_size,
                                          block->body.size())));
        }
        auto key = bls::SecretKey::from_bytes(block->body.view());
        if (!key) return fail(error(KeyFileErrorCode::invalid_key, "the BLS12-381 secret scalar is zero or not below the group order"));
        return AnySecretKey(std::move(*key));
    }

    Result<PkeyPtr, KeyFileError> pkey = [&]() -> Result<PkeyPtr, KeyFileError> {
        if (block->label == "PRIVATE KEY") return decode_pkcs8(block->body);
        if (block->label == "EC PRIVATE KEY") return decode_sec1(block->body);
        return fail(error(KeyFileErrorCode::wrong_key_type,
                          fmt::format("unsupported key file: {} is not an Ed25519, BLS12-381 or secp256k1 private key",
                                      describe_label(block->label))));
    }();
    if (!pkey) return fail(std::move(pkey.error()));

    switch (EVP_PKEY_get_base_id(pkey->get())) {
        case EVP_PKEY_ED25519: {
            auto key = ed25519_from_pkey(pkey->get());
            if (!key) return fail(std::move(key.error()));
            return AnySecretKey(std::move(*key));
        }
        case EVP_PKEY_EC: {
            auto key = secp256k1_from_pkey(pkey->get());
            if (!key) return fail(std::move(key.error()));
            return AnySecretKey(std::move(*key));
        }
        default:
            return fail(error(KeyFileErrorCode::wrong_key_type,
                              fmt::format("unsupported key type {}", pkey_kind(pkey->get()))));
    }
}

namespace {
constexpr std::string_view kind_name(size_t variant_index) {
    switch (variant_index) {
        case 0: return "an Ed25519 key";
        case 1: return "a BLS12-381 key";
        case 2: return "a secp256k1 key";
    }
    return "an unknown key";
}

template <class Key>
Result<Key, KeyFileError> expect_kind(Result<AnySecretKey, KeyFileError> any, std::string_view expected) {
    if (!any) return fail(std::move(any.error()));
    if (Key* key = std::get_if<Key>(&*any)) return std::move(*key);
    return fail(error(KeyFileErrorCode::wrong_key_type,
                      fmt::format("expected {}, found {}", expected, kind_name(any->index()))));
}
}  // namespace

Result<ed25519::SecretKey, KeyFileError> ed25519_key_from_pem(ByteSpan pem) {
    return expect_kind<ed25519::SecretKey>(any_key_from_pem(pem), "an Ed25519 key");
}

Result<bls::SecretKey, KeyFileError> bls_key_from_pem(ByteSpan pem) {
    return expect_kind<bls::SecretKey>(any_key_from_pem(pem), "a BLS12-381 key");
}

Result<ethereum::SecretKey, KeyFileError> secp256k1_key_from_pem(ByteSpan pem) {
    return expect_kind<ethereum::SecretKey>(any_key_from_pem(pem), "a secp256k1 key");
}

// ---------------------------------------------------------------------------------- files

namespace {
KeyFileErrorCode file_code(FileErrorCode code) {
    switch (code) {
        case FileErrorCode::not_found: return KeyFileErrorCode::not_found;
        case FileErrorCode::permission_denied: return KeyFileErrorCode::permission_denied;
        case FileErrorCode::not_regular_file: return KeyFileErrorCode::not_regular_file;
        case FileErrorCode::too_large: return KeyFileErrorCode::too_large;
        case FileErrorCode::already_exists: return KeyFileErrorCode::already_exists;
        case FileErrorCode::permissions_too_open: return KeyFileErrorCode::permissions_too_open;
        case FileErrorCode::io: return KeyFileErrorCode::io;
    }
    return KeyFileErrorCode::io;
}

template <class Key>
Result<Key, KeyFileError> with_path(Result<Key, KeyFileError> result, const std::filesystem::path& path) {
    if (!result) result.error().message = fmt::format("{}: {}", path.string(), result.error().message);
    return result;
}

template <class Key, class Decode>
Result<Key, KeyFileError> load(const std::filesystem::path& path, Decode&& decode) {
    auto contents = read_key_file(path);
    if (!contents) return fail(std::move(contents.error()));
    return with_path<Key>(decode(contents->view()), path);
}
}  // namespace

Result<SecretBuffer, KeyFileError> read_key_file(const std::filesystem::path& path) {
    auto contents = read_secret_file(path, key_file_max_size);
    if (!contents) return fail(error(file_code(contents.error().code), std::move(contents.error().message)));
    return std::move(*contents);
}

Result<void, KeyFileError> write_key_file(const std::filesystem::path& path, ByteSpan pem, bool overwrite) {
    const FileWriteOptions options{.mode = 0600, .overwrite = overwrite, .directory_mode = 0700};
    auto written = write_file_atomic(path, pem, options);
    if (!written) return fail(error(file_code(written.error().code), std::move(written.error().message)));
    return {};
}

Result<NodeSecretKey, KeyFileError> load_node_key(const std::filesystem::path& path) {
    return load<NodeSecretKey>(path, [](ByteSpan pem) -> Result<NodeSecretKey, KeyFileError> {
        auto key = ed25519_key_from_pem(pem);
        if (!key) return fail(std::move(key.error()));
        return NodeSecretKey(std::move(*key));
    });
}

Result<ClientSecretKey, KeyFileError> load_client_key(const std::filesystem::path& path) {
    return load<ClientSecretKey>(path, [](ByteSpan pem) -> Result<ClientSecretKey, KeyFileError> {
        auto key = ed25519_key_from_pem(pem);
        if (!key) return fail(std::move(key.error()));
        return ClientSecretKey(std::move(*key));
    });
}

Result<ConsensusSecretKey, KeyFileError> load_consensus_key(const std::filesystem::path& path) {
    return load<ConsensusSecretKey>(path, [](ByteSpan pem) { return bls_key_from_pem(pem); });
}

Result<AccountSecretKey, KeyFileError> load_account_key(const std::filesystem::path& path) {
    return load<AccountSecretKey>(path, [](ByteSpan pem) { return secp256k1_key_from_pem(pem); });
}

Result<AnySecretKey, KeyFileError> load_any_key(const std::filesystem::path& path) {
    return load<AnySecretKey>(path, [](ByteSpan pem) { return any_key_from_pem(pem); });
}

Result<void, KeyFileError> save_node_key(const std::filesystem::path& path, const NodeSecretKey& key, bool overwrite) {
    return write_key_file(path, ed25519_key_to_pem(key.raw()).view(), overwrite);
}

Result<void, KeyFileError> save_client_key(const std::filesystem::path& path, const ClientSecretKey& key,
                                           bool overwrite) {
    return write_key_file(path, ed25519_key_to_pem(key.raw()).view(), overwrite);
}

Result<void, KeyFileError> save_consensus_key(const std::filesystem::path& path, const ConsensusSecretKey& key,
                                              bool overwrite) {
    return write_key_file(path, bls_key_to_pem(key).view(), overwrite);
}

Result<void, KeyFileError> save_account_key(const std::filesystem::path& path, const AccountSecretKey& key,
                                            bool overwrite) {
    return write_key_file(path, secp256k1_key_to_pem(key).view(), overwrite);
}

}  // namespace fleek::crypto
