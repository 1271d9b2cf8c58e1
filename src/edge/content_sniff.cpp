#include "edge/content_sniff.h"

#include <array>
#include <cstdint>

namespace fleek::edge {

namespace {

bool is_whitespace(uint8_t byte) { return byte == '\t' || byte == '\n' || byte == '\x0c' || byte == '\r' || byte == ' '; }

uint8_t upper(uint8_t byte) { return byte >= 'a' && byte <= 'z' ? static_cast<uint8_t>(byte - 'a' + 'A') : byte; }

bool starts_with(ByteSpan data, std::string_view prefix) {
    if (data.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (data[i] != static_cast<uint8_t>(prefix[i])) return false;
    }
    return true;
}

// `pattern` at the start, where the mask has '?' for any byte.
bool matches_masked(ByteSpan data, std::string_view pattern) {
    if (data.size() < pattern.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '?' && data[i] != static_cast<uint8_t>(pattern[i])) return false;
    }
    return true;
}

ByteSpan skip_whitespace(ByteSpan data) {
    size_t i = 0;
    while (i < data.size() && is_whitespace(data[i])) ++i;
    return data.subspan(i);
}

// An HTML tag (upper-case in `tag`) after leading whitespace, any case, then a space or '>'.
bool html_tag(ByteSpan data, std::string_view tag) {
    data = skip_whitespace(data);
    if (data.size() < tag.size() + 1) return false;
    for (size_t i = 0; i < tag.size(); ++i) {
        if (upper(data[i]) != static_cast<uint8_t>(tag[i])) return false;
    }
    const uint8_t after = data[tag.size()];
    return after == ' ' || after == '>';
}

bool mp4(ByteSpan data) {
    if (data.size() < 12) return false;
    const uint32_t box = (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
    if (data.size() < box || box % 4 != 0 || box < 12) return false;
    if (!starts_with(data.subspan(4), "ftyp")) return false;
    for (size_t at = 8; at < box; at += 4) {
        if (at == 12) continue;  // the minor version
        if (starts_with(data.subspan(at), "mp4")) return true;
    }
    return false;
}

bool binary_byte(uint8_t byte) {
    return byte <= 0x08 || byte == 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f);
}

struct Signature {
    std::string_view pattern;  // '?' matches any byte; empty: the MP4 box check
    std::string_view type;
};

// Checked in this order (Go's), after HTML and XML (which skip whitespace).
constexpr std::array<Signature, 31> signatures{{
    {"%PDF-", "application/pdf"},
    {"%!PS-Adobe-", "application/postscript"},
    {std::string_view("\xFE\xFF", 2), "text/plain; charset=utf-16be"},
    {std::string_view("\xFF\xFE", 2), "text/plain; charset=utf-16le"},
    {std::string_view("\xEF\xBB\xBF", 3), "text/plain; charset=utf-8"},
    {std::string_view("\x00\x00\x01\x00", 4), "image/x-icon"},
    {std::string_view("\x00\x00\x02\x00", 4), "image/x-icon"},
    {"BM", "image/bmp"},
    {"GIF87a", "image/gif"},
    {"GIF89a", "image/gif"},
    {"RIFF????WEBPVP", "image/webp"},
    {std::string_view("\x89PNG\x0D\x0A\x1A\x0A", 8), "image/png"},
    {std::string_view("\xFF\xD8\xFF", 3), "image/jpeg"},
    {"FORM????AIFF", "audio/aiff"},
    {"ID3", "audio/mpeg"},
    {std::string_view("OggS\x00", 5), "application/ogg"},
    {std::string_view("MThd\x00\x00\x00\x06", 8), "audio/midi"},
    {"RIFF????AVI ", "video/avi"},
    {"RIFF????WAVE", "audio/wave"},
    {"", "video/mp4"},
    {std::string_view("\x1A\x45\xDF\xA3", 4), "video/webm"},
    {std::string_view("\x00\x01\x00\x00", 4), "font/ttf"},
    {"OTTO", "font/otf"},
    {"ttcf", "font/collection"},
    {"wOFF", "font/woff"},
    {"wOF2", "font/woff2"},
    {std::string_view("\x1F\x8B\x08", 3), "application/x-gzip"},
    {std::string_view("PK\x03\x04", 4), "application/zip"},
    {std::string_view("Rar!\x1A\x07\x00", 7), "application/x-rar-compressed"},
    {std::string_view("Rar!\x1A\x07\x01\x00", 8), "application/x-rar-compressed"},
    {std::string_view("\x00\x61\x73\x6D", 4), "application/wasm"},
}};

}  // namespace

std::string_view sniff_content_type(ByteSpan head) noexcept {
    if (head.size() > sniff_length) head = head.first(sniff_length);
    static constexpr std::string_view html_tags[] = {"<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE",
                                                     "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--"};
    for (const std::string_view tag : html_tags) {
        if (html_tag(head, tag)) return "text/html; charset=utf-8";
    }
    if (starts_with(skip_whitespace(head), "<?xml")) return "text/xml; charset=utf-8";
    for (const Signature& signature : signatures) {
        if (signature.pattern.empty() ? mp4(head) : matches_masked(head, signature.pattern)) return signature.type;
    }
    for (const uint8_t byte : head) {
        if (binary_byte(byte)) return "application/octet-stream";
    }
    return "text/plain; charset=utf-8";
}

}  // namespace fleek::edge
