// Byte buffers and views, and wiping of secret memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleek {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

template <size_t N>
using ByteArray = std::array<uint8_t, N>;

inline ByteSpan as_bytes(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_string_view(ByteSpan bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline Bytes to_bytes(std::string_view text) {
    const ByteSpan view = as_bytes(text);
    return Bytes(view.begin(), view.end());
}

// Overwrites memory in a way the compiler may not optimize away (explicit_bzero).
void secure_wipe(void* data, size_t size) noexcept;

// Compares in time that depends only on the sizes, not on the contents.
bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept;

// A fixed-size secret that is wiped when destroyed or moved from. Not copyable by accident:
// copies must be explicit (clone()), so secrets do not multiply in memory.
template <size_t N>
class SecretArray {
public:
    SecretArray() noexcept { m_bytes.fill(0); }
    explicit SecretArray(std::span<const uint8_t, N> bytes) noexcept {
        for (size_t i = 0; i < N; ++i) m_bytes[i] = bytes[i];
    }
    SecretArray(const SecretArray&) = delete;
    SecretArray& operator=(const SecretArray&) = delete;
    SecretArray(SecretArray&& other) noexcept : m_bytes(other.m_bytes) { other.wipe(); }
    SecretArray& operator=(SecretArray&& other) noexcept {
        if (this != &other) {
            m_bytes = other.m_bytes;
            other.wipe();
        }
        return *this;
    }
    ~SecretArray() { wipe(); }

    SecretArray clone() const noexcept { return SecretArray(std::span<const uint8_t, N>(m_bytes)); }
    void wipe() noexcept { secure_wipe(m_bytes.data(), N); }

    uint8_t* data() noexcept { return m_bytes.data(); }
    const uint8_t* data() const noexcept { return m_bytes.data(); }
    static constexpr size_t size() noexcept { return N; }
    std::span<const uint8_t, N> view() const noexcept { return std::span<const uint8_t, N>(m_bytes); }
    std::span<uint8_t, N> mutable_view() noexcept { return std::span<uint8_t, N>(m_bytes); }

private:
    std::array<uint8_t, N> m_bytes;
};

// A growable secret buffer (file contents holding a key), wiped on destruction.
class SecretBuffer {
public:
    SecretBuffer() = default;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    SecretBuffer(SecretBuffer&& other) noexcept : m_bytes(std::move(other.m_bytes)) {}
    SecretBuffer& operator=(SecretBuffer&& other) noexcept {
        if (this != &other) {
            wipe();
            m_bytes = std::move(other.m_bytes);
        }
        return *this;
    }
    ~SecretBuffer() { wipe(); }

    void assign(ByteSpan bytes) {
        wipe();
        m_bytes.assign(bytes.begin(), bytes.end());
    }
    void wipe() noexcept {
        if (!m_bytes.empty()) secure_wipe(m_bytes.data(), m_bytes.size());
        m_bytes.clear();
    }
    uint8_t* data() noexcept { return m_bytes.data(); }
    const uint8_t* data() const noexcept { return m_bytes.data(); }
    size_t size() const noexcept { return m_bytes.size(); }
    bool empty() const noexcept { return m_bytes.empty(); }
    ByteSpan view() const noexcept { return m_bytes; }

private:
    std::vector<uint8_t> m_bytes;
};

}  // namespace fleek
