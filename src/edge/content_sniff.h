// The Content-Type of bytes whose name says nothing (no extension we know): the first bytes are
// matched against a small table of signatures, the subset of the WHATWG MIME Sniffing standard
// that Go's http.DetectContentType implements (and so kubo's path gateway answers): HTML (a tag
// after leading whitespace, any case), XML, PDF, PostScript, byte-order marks, ICO, BMP, GIF,
// WebP, PNG, JPEG, AIFF, MP3 (ID3), Ogg, MIDI, AVI, WAVE, MP4 (an ftyp box naming mp4), WebM,
// TTF, OTF, font collections, WOFF, WOFF2, gzip, zip, RAR, WebAssembly; then text/plain when no
// byte is a binary control byte, else application/octet-stream. Only the first 512 bytes count.
#pragma once

#include "util/bytes.h"

#include <string_view>

namespace fleek::edge {

inline constexpr size_t sniff_length = 512;

std::string_view sniff_content_type(ByteSpan head) noexcept;

}  // namespace fleek::edge
