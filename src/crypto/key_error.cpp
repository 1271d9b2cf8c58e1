#include "crypto/key_error.h"

namespace fleek::crypto {

std::string_view to_string(KeyError error) noexcept {
    switch (error) {
        case KeyError::wrong_length: return "wrong length";
        case KeyError::invalid_encoding: return "invalid encoding";
        case KeyError::invalid_point: return "not a valid curve point";
        case KeyError::invalid_scalar: return "not a valid secret scalar";
        case KeyError::bad_checksum: return "checksum mismatch";
        case KeyError::non_canonical: return "non-canonical encoding";
        case KeyError::empty: return "nothing to aggregate";
        case KeyError::seed_too_short: return "key material shorter than 32 bytes";
    }
    return "invalid key";
}

}  // namespace fleek::crypto

