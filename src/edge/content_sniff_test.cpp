#include "edge/content_sniff.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

std::string_view sniff(std::string_view text) { return sniff_content_type(as_bytes(text)); }

// The vectors of Go's net/http/sniff_test.go (the implementation kubo's gateway answers with).
TEST(ContentSniff, GoDetectContentTypeVectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", "text/plain; charset=utf-8"},
        {std::string_view("\x01\x02\x03", 3), "application/octet-stream"},
        {"<HtMl><bOdY>blah blah blah</body></html>", "text/html; charset=utf-8"},
        {"<HTML></HTML>", "text/html; charset=utf-8"},
        {"   <!DOCTYPE HTML>...", "text/html; charset=utf-8"},
        {"\r\n<html>...", "text/html; charset=utf-8"},
        {"This is not HTML. It has \xe2\x98\x83 though.", "text/plain; charset=utf-8"},
        {"\n<?xml!", "text/xml; charset=utf-8"},
        {std::string_view("\x00\x00\x01\x00", 4), "image/x-icon"},
        {std::string_view("\x00\x00\x02\x00", 4), "image/x-icon"},
        {"BM...", "image/bmp"},
        {"GIF87a", "image/gif"},
        {"GIF89a...", "image/gif"},
        {std::string_view("RIFF\x00\x00\x00\x00WEBPVP", 14), "image/webp"},
        {std::string_view("\x89PNG\x0D\x0A\x1A\x0A", 8), "image/png"},
        {std::string_view("\xFF\xD8\xFF", 3), "image/jpeg"},
        {std::string_view("MThd\x00\x00\x00\x06\x00\x01", 10), "audio/midi"},
        {std::string_view("ID3\x03\x00\x00\x00\x00\x0f", 9), "audio/mpeg"},
        {std::string_view("RIFFb\xb8\x00\x00WAVEfmt \x12\x00\x00\x00\x06", 21), "audio/wave"},
        {std::string_view("RIFF,\x00\x00\x00WAVEfmt \x12\x00\x00\x00\x06", 21), "audio/wave"},
        {std::string_view("FORM\x00\x00\x00\x00" "AIFFCOMM\x00\x00\x00\x12\x00\x01\x00\x00\x57\x55\x00\x10\x40\x0d\xf3\x34", 32), "audio/aiff"},
        {std::string_view("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x7e\x46\x00\x00\x00\x00\x00\x00\x1f\xf6\xb4\xfc\x01\x1e\x01\x76\x6f\x72", 32),
         "application/ogg"},
        {std::string_view("owow\x00", 5), "application/octet-stream"},
        {std::string_view("oooS\x00", 5), "application/octet-stream"},
        {std::string_view("oggS\x00", 5), "application/octet-stream"},
        {std::string_view("\x00\x00\x00\x18" "ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat", 32), "video/mp4"},
        {std::string_view("RIFF,O\n\x00" "AVI LIST\xc3\x80", 18), "video/avi"},
        {std::string_view("RIFF,\n\x00\x00" "AVI LIST\xc3\x80", 18), "video/avi"},
        {std::string_view("\x00\x01\x00\x00\x00\x17\x01\x00\x00\x04\x01\x60\x4f", 13), "font/ttf"},
        {std::string_view("\x00\x01\x00\x00\x00\x0e\x00\x80\x00\x03\x00\x60\x46", 13), "font/ttf"},
        {std::string_view("\x4f\x54\x54\x4f\x00\x0e\x00\x80\x00\x03\x00\x60\x42\x41\x53\x45", 16), "font/otf"},
        {std::string_view("\x77\x4f\x46\x46\x00\x01\x00\x00\x00\x00\x30\x54\x00\x0d\x00\x00", 16), "font/woff"},
        {std::string_view("\x77\x4f\x46\x32\x00\x01\x00\x00\x00", 9), "font/woff2"},
        {std::string_view("\x00\x61\x73\x6d\x01\x00", 6), "application/wasm"},
        {std::string_view("Rar!\x1A\x07\x00", 7), "application/x-rar-compressed"},
        {std::string_view("Rar!\x1A\x07\x01\x00", 8), "application/x-rar-compressed"},
        {std::string_view("Rar \x1A\x07\x00", 7), "application/octet-stream"},
        {std::string_view("Rar \x1A\x07\x01\x00", 8), "application/octet-stream"},
    };
    for (const auto& [data, type] : vectors) EXPECT_EQ(sniff(data), type) << ::testing::PrintToString(std::string(data));
}

TEST(ContentSniff, OnlyTheFirst512BytesCount) {
    std::string text(600, 'a');
    text[550] = '\x01';  // a binary byte past the window
    EXPECT_EQ(sniff(text), "text/plain; charset=utf-8");
    text[100] = '\x01';
    EXPECT_EQ(sniff(text), "application/octet-stream");
    EXPECT_EQ(sniff("<a"), "text/plain; charset=utf-8");  // a tag needs a space or '>' after it
    EXPECT_EQ(sniff("<a href=x>"), "text/html; charset=utf-8");
    EXPECT_EQ(sniff(std::string_view("\x1F\x8B\x08", 3)), "application/x-gzip");
    EXPECT_EQ(sniff(std::string_view("PK\x03\x04", 4)), "application/zip");
    EXPECT_EQ(sniff("%PDF-1.7"), "application/pdf");
}

}  // namespace
}  // namespace fleek::edge
