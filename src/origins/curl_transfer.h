// What every libcurl transfer of the origins shares (internal to origins): the body writer with
// its size limit and the first-bytes error body, and the socket opener that applies the address
// policy to the exact address curl is about to connect to (whatever DNS answered), one redirect
// hop at a time. http_client.cpp (one blocking GET) and ipfs_gateway_client.cpp (many transfers
// on a multi handle) both use it, so both refuse internal addresses the same way.
#pragma once

#include "origins/address_policy.h"
#include "origins/http_client.h"

#include <curl/curl.h>

#include <functional>
#include <string>
#include <vector>

namespace fleek::origins::curl_transfer {

void global_init_once();

// The state curl's callbacks see for one transfer (one redirect hop at a time).
struct State {
    HttpGetResult* result = nullptr;
    CURL* curl = nullptr;
    uint64_t max_body_bytes = UINT64_MAX;
    const std::function<bool(ByteSpan)>* on_body = nullptr;  // may be null or empty
    const AddressPolicy* policy = nullptr;                   // null: any address
    bool host_allowed = false;                               // this hop's host is allowlisted by name
    bool status_known = false;
    bool success = false;
    std::vector<std::string> refusals;                       // addresses the policy refused on this hop

    // Before each hop: the host it connects to decides whether addresses are checked.
    void begin_hop(const std::string& host);
    // After a hop that failed: `result->refused` says why when the policy refused every address.
    void note_refusals(const std::string& host);
};

// Installs the write and open-socket callbacks on `curl` for `state` (and no proxy: a proxy would
// be the address checked).
void install(CURL* curl, State& state);

bool is_redirect(long status);

}  // namespace fleek::origins::curl_transfer
