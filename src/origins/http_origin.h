// The HTTP origin: GET a URL (http or https) with connect and total timeouts and a size limit,
// stream the body into the blockstore, and commit it only when the optional Subresource Integrity
// given in the pointer's fragment matches (`https://host/file#integrity=sha256-<base64>`; several
// space-separated hashes allowed, the strongest algorithm decides, as in the SRI specification).
// Nothing is visible in the blockstore before the check passes. The pointer -> BLAKE3 mapping is
// recorded in the resolver; concurrent fetches of one pointer share one download.
#pragma once

#include "content/blockstore.h"
#include "origins/address_policy.h"
#include "origins/origin.h"
#include "origins/resolver.h"

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace fleek::origins {

struct HttpOriginOptions {
    bool enabled = true;
    uint64_t connect_timeout_ms = 5'000;
    uint64_t request_timeout_ms = 120'000;
    uint64_t max_bytes = uint64_t{4} << 30;
    // Where downloads may connect (address_policy.h): public addresses only unless allowlisted.
    AddressPolicy address_policy;
};

// One parsed Subresource Integrity value: "sha256-...", "sha384-..." or "sha512-...".
struct Integrity {
    enum class Algorithm : uint8_t { sha256 = 0, sha384 = 1, sha512 = 2 };
    Algorithm algorithm;
    Bytes digest;
};

struct HttpPointer {
    std::string url;                  // without the fragment
    std::vector<Integrity> integrity; // empty: no check
};
// Splits "url#integrity=..." and decodes the integrity metadata. Unknown algorithms are ignored
// (as browsers do); a malformed value is an error.
Result<HttpPointer, std::string> parse_http_pointer(std::string_view pointer);

struct FetchedHttp {
    HttpRecord record;
    bool cached = false;
};

class HttpOrigin {
public:
    HttpOrigin(HttpOriginOptions options, content::Blockstore& blockstore, Resolver& resolver);

    Result<FetchedHttp, OriginError> fetch(std::string_view pointer);
    uint64_t downloads() const { return m_downloads.load(); }
    // Makes running and later downloads fail soon (node shutdown).
    void cancel() { m_cancelled = true; }

private:
    Result<FetchedHttp, OriginError> download(const std::string& pointer, const HttpPointer& parsed);

    HttpOriginOptions m_options;
    content::Blockstore& m_blockstore;
    Resolver& m_resolver;
    SingleFlight<std::string, Result<FetchedHttp, OriginError>> m_flights;
    std::atomic<bool> m_cancelled{false};
    std::atomic<uint64_t> m_downloads{0};
};

}  // namespace fleek::origins
