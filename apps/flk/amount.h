// Token amounts on the command lines: "12.5" FLK <-> base units (FLK 10^-18, stables 10^-6).
#pragma once

#include "util/result.h"
#include "util/u256.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace fleek::flk {

// "1.5" FLK -> 1500000000000000000 base units; with base_units the text is taken as it is.
inline Result<U256, std::string> parse_amount(std::string_view text, unsigned decimals, bool base_units) {
    std::string digits(text);
    if (!base_units) {
        const size_t dot = text.find('.');
        std::string whole(text.substr(0, dot));
        std::string fraction = dot == std::string_view::npos ? std::string() : std::string(text.substr(dot + 1));
        if (whole.empty() && dot != std::string_view::npos) whole = "0";
        if (fraction.size() > decimals) {
            return fail(fmt::format("`{}` has more than {} decimals (the token's smallest unit)", text, decimals));
        }
        fraction.append(decimals - fraction.size(), '0');
        digits = whole + fraction;
        const size_t first = digits.find_first_not_of('0');
        digits = first == std::string::npos ? "0" : digits.substr(first);
    }
    auto amount = u256_parse_decimal(digits);
    if (!amount) return fail(fmt::format("`{}` is not an amount (a decimal number of tokens, e.g. 12.5)", text));
    if (*amount == U256(0)) return fail(std::string("the amount is zero"));
    return *amount;
}

// Base units (a decimal string) as a decimal number of tokens: "1500000000000000000" -> "1.5".
inline std::string format_amount(const std::string& units, unsigned decimals) {
    if (decimals == 0) return units;
    std::string padded = units.size() <= decimals ? std::string(decimals + 1 - units.size(), '0') + units : units;
    std::string whole = padded.substr(0, padded.size() - decimals);
    std::string fraction = padded.substr(padded.size() - decimals);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fraction.empty() ? whole : whole + "." + fraction;
}

}  // namespace fleek::flk
