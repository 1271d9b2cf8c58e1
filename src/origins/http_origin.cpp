#include "origins/http_origin.h"

#include "crypto/hash.h"
#include "origins/http_client.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>

namespace fleek::origins {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // SRI uses standard base64; accept the URL-safe form too
    if (c == '/' || c == '_') return 63;
    return -1;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    Bytes out;
    uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = base64_value(c);
        if (value < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(buffer >> bits));
        }
        buffer &= (1u << bits) - 1;
    }
    if (bits >= 6 || buffer != 0) return std::nullopt;  // a dangling character or padding bits set
    return out;
}

crypto::Sha2Variant variant_of(Integrity::Algorithm algorithm) {
    switch (algorithm) {
        case Integrity::Algorithm::sha256: return crypto::Sha2Variant::sha256;
        case Integrity::Algorithm::sha384: return crypto::Sha2Variant::sha384;
        case Integrity::Algorithm::sha512: return crypto::Sha2Variant::sha512;
    }
    return crypto::Sha2Variant::sha256;
}

}  // namespace

Result<HttpPointer, std::string> parse_http_pointer(std::string_view pointer) {
    HttpPointer out;
    const size_t hash = pointer.find('#');
    out.url = std::string(pointer.substr(0, hash));
    if (!is_http_url(out.url)) return fail(fmt::format("`{}` is not an http:// or https:// URL", out.url));
    if (hash == std::string_view::npos) return out;
    std::string_view fragment = pointer.substr(hash + 1);
    constexpr std::string_view key = "integrity=";
    if (!fragment.starts_with(key)) return fail(std::string("the URL fragment must be `integrity=<algorithm>-<base64 digest>`"));
    fragment.remove_prefix(key.size());
    std::string decoded;
    // Browsers percent-encode the spaces between several hashes; accept '+' and %20 as well.
    for (size_t i = 0; i < fragment.size(); ++i) {
        if (fragment[i] == '%' && i + 2 < fragment.size() && fragment.substr(i + 1, 2) == "20") {
            decoded.push_back(' ');
            i += 2;
        } else {
            decoded.push_back(fragment[i]);
        }
    }
    std::string_view rest = decoded;
    while (!rest.empty()) {
        const size_t space = rest.find(' ');
        std::string_view item = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        if (item.empty()) continue;
        item = item.substr(0, item.find('?'));  // SRI options ("?ct=...") are ignored
        const size_t dash = item.find('-');
        if (dash == std::string_view::npos) return fail(fmt::format("integrity value `{}` is not <algorithm>-<base64>", item));
        const std::string_view name = item.substr(0, dash);
        Integrity integrity;
        size_t expected = 0;
        if (name == "sha256") {
            integrity.algorithm = Integrity::Algorithm::sha256, expected = 32;
        } else if (name == "sha384") {
            integrity.algorithm = Integrity::Algorithm::sha384, expected = 48;
        } else if (name == "sha512") {
            integrity.algorithm = Integrity::Algorithm::sha512, expected = 64;
        } else {
            continue;  // an algorithm we do not know: ignored, as the SRI specification says
        }
        auto digest = base64_decode(item.substr(dash + 1));
        if (!digest || digest->size() != expected) {
            return fail(fmt::format("integrity value `{}` is not a base64 {} digest", item, name));
        }
        integrity.digest = std::move(*digest);
        out.integrity.push_back(std::move(integrity));
    }
    if (out.integrity.empty()) return fail(std::string("the integrity fragment names no sha256, sha384 or sha512 digest"));
    return out;
}

HttpOrigin::HttpOrigin(HttpOriginOptions options, content::Blockstore& blockstore, Resolver& resolver)
    : m_options(options), m_blockstore(blockstore), m_resolver(resolver) {}

Result<FetchedHttp, OriginError> HttpOrigin::fetch(std::string_view pointer_text) {
    if (!m_options.enabled) return fail(origin_error(OriginErrorCode::disabled, "the HTTP origin is disabled (origins.http_enabled)"));
    auto parsed = parse_http_pointer(pointer_text);
    if (!parsed) return fail(origin_error(OriginErrorCode::invalid_request, parsed.error()));
    const std::string pointer(pointer_text);
    auto record = m_resolver.http(pointer);
    if (!record) return fail(origin_error(OriginErrorCode::store_failed, record.error()));
    if (*record && m_blockstore.info((*record)->hash)) return FetchedHttp{**record, true};
    return m_flights.run(pointer, [&]() { return download(pointer, *parsed); });
}

Result<FetchedHttp, OriginError> HttpOrigin::download(const std::string& pointer, const HttpPointer& parsed) {
    ++m_downloads;
    // The strongest algorithm given decides (SRI §3.3.3); any of its digests may match.
    std::optional<Integrity::Algorithm> strongest;
    for (const auto& integrity : parsed.integrity) {
        if (!strongest || integrity.algorithm > *strongest) strongest = integrity.algorithm;
    }
    std::optional<crypto::Sha2Hasher> hasher;
    if (strongest) hasher.emplace(variant_of(*strongest));

    auto writer = m_blockstore.begin_write();
    if (!writer) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(writer.error()))));
    HttpGetOptions options;
    options.connect_timeout_ms = m_options.connect_timeout_ms;
    options.total_timeout_ms = m_options.request_timeout_ms;
    options.max_body_bytes = m_options.max_bytes;
    options.cancel = &m_cancelled;
    options.address_policy = &m_options.address_policy;
    std::optional<content::BlockstoreError> write_error;
    const HttpGetResult result = http_get(parsed.url, options, [&](ByteSpan bytes) {
        if (hasher) hasher->update(bytes);
        auto written = (*writer)->write(bytes);
        if (!written) write_error = written.error();
        return written.has_value();
    });
    if (write_error) {
        return fail(origin_error(*write_error == content::BlockstoreError::too_large ? OriginErrorCode::too_large : OriginErrorCode::store_failed,
                                 std::string(content::to_string(*write_error))));
    }
    if (result.too_large) {
        return fail(origin_error(OriginErrorCode::too_large, fmt::format("{} is larger than {} bytes", parsed.url, m_options.max_bytes)));
    }
    if (!result.refused.empty()) {
        return fail(origin_error(OriginErrorCode::refused_address, fmt::format("GET {}: {}", parsed.url, result.describe())));
    }
    if (!result.ok()) {
        const OriginErrorCode code = result.status == 404 || result.status == 410 ? OriginErrorCode::not_found : OriginErrorCode::unavailable;
        return fail(origin_error(code, fmt::format("GET {}: {}", parsed.url, result.describe())));
    }
    if (hasher) {
        const Bytes digest = hasher->finalize();
        const bool matches = std::any_of(parsed.integrity.begin(), parsed.integrity.end(), [&](const Integrity& integrity) {
            return integrity.algorithm == *strongest && integrity.digest == digest;
        });
        if (!matches) {
            // The writer is dropped uncommitted: nothing of the download is kept.
            return fail(origin_error(OriginErrorCode::verification_failed,
                                     fmt::format("{} does not match its integrity metadata (got {})", parsed.url, hex_encode(digest))));
        }
    }
    const uint64_t size = (*writer)->bytes_written();
    auto hash = (*writer)->commit();
    if (!hash) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(hash.error()))));
    const HttpRecord record{*hash, size};
    if (auto put = m_resolver.put_http(pointer, record); !put) return fail(origin_error(OriginErrorCode::store_failed, put.error()));
    FLEEK_LOG_INFO("origins.http", "fetched {} ({} bytes) -> {}", parsed.url, size, hex_encode(*hash));
    return FetchedHttp{record, false};
}

}  // namespace fleek::origins
