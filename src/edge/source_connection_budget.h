// Open connections counted per source (net::source_budget_key: one IPv4 address or IPv6 /64),
// so that one client cannot hold all of a listener's connections (slowloris) and lock everyone
// else out. The HTTP gateway takes a unit when it accepts a connection and gives it back when the
// connection ends or is handed over to the WebSocket server (docs/gateway.md, "Serving").
//
// Invariant: a key is in the map exactly while it holds at least one unit, and never holds more
// than `per_source_max`. Thread-safe: connections end on any of the gateway's I/O threads.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace fleek::edge {

class SourceConnectionBudget {
public:
    explicit SourceConnectionBudget(size_t per_source_max) : m_per_source_max(per_source_max) {}

    // Takes a unit for `key`; false (and nothing taken) when the key already holds the maximum.
    bool try_acquire(const std::string& key);
    // Gives back a unit try_acquire() took.
    void release(const std::string& key);
    // Units `key` holds now.
    size_t held(const std::string& key) const;

private:
    const size_t m_per_source_max;
    mutable std::mutex m_mutex;
    std::map<std::string, size_t> m_held;
};

}  // namespace fleek::edge
