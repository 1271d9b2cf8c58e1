// What the origins share: the error type and a way to let concurrent requests for the same
// pointer share one fetch.
#pragma once

#include "util/result.h"

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

namespace fleek::origins {

enum class OriginErrorCode : uint8_t {
    invalid_request,   // a malformed CID, URL or integrity value
    disabled,          // the origin is switched off, or has no gateways
    not_found,         // every source answered that it does not have it
    unavailable,       // sources failed (timeouts, connection errors, 5xx)
    verification_failed,  // a source sent bytes that do not match their CID or integrity
    too_large,         // over a size, block-count or depth limit
    unsupported,       // content we cannot cache (a non-UnixFS DAG, a lone symlink)
    store_failed,      // the blockstore or the resolver failed
    refused_address,   // the URL (or a redirect) leads to an address origins may not reach
};
std::string_view to_string(OriginErrorCode code) noexcept;

struct OriginError {
    OriginErrorCode code;
    std::string message;
};
inline OriginError origin_error(OriginErrorCode code, std::string message) {
    return OriginError{code, std::move(message)};
}

// Runs `work` once per key at a time: callers that arrive while a fetch for their key runs wait
// for it and get its result.
template <class Key, class Value>
class SingleFlight {
public:
    Value run(const Key& key, const std::function<Value()>& work) {
        std::shared_future<Value> shared;
        std::promise<Value> promise;
        bool leader = false;
        {
            std::lock_guard lock(m_mutex);
            auto it = m_in_flight.find(key);
            if (it == m_in_flight.end()) {
                shared = promise.get_future().share();
                m_in_flight.emplace(key, shared);
                leader = true;
            } else {
                shared = it->second;
            }
        }
        if (!leader) return shared.get();
        Value value = work();
        promise.set_value(value);
        {
            std::lock_guard lock(m_mutex);
            m_in_flight.erase(key);
        }
        return value;
    }

    size_t in_flight() {
        std::lock_guard lock(m_mutex);
        return m_in_flight.size();
    }

private:
    std::mutex m_mutex;
    std::map<Key, std::shared_future<Value>> m_in_flight;
};

}  // namespace fleek::origins
