#pragma once

#include "payloaddecoder.h"

#include <simdjson.h>

#include <string_view>

// A JSON scalar read from simdjson's on-demand parser, alike for everything in this folder that
// reads bodies (the decoder's fields, the schemas' learner): a string unescaped, a number as
// the sender wrote it (checked against the grammar, which the parser leaves unchecked), and
// true, false and null. Views into the parser's buffers, valid until its next parse.
namespace JsonScalar {

enum class Kind
{
    String,
    Number,
    Boolean,
    Null,
};

inline simdjson::error_code rawToken(simdjson::ondemand::value &value, std::string_view &token)
{
    token = value.raw_json_token();
    return simdjson::SUCCESS;
}

// A scalar document is one token: the whole (trimmed) text is the number.
inline simdjson::error_code rawToken(simdjson::ondemand::document &document,
                                     std::string_view &token)
{
    return document.raw_json_token().get(token);
}

template<typename Value>
simdjson::error_code read(Value &value, simdjson::ondemand::json_type type, Kind &kind,
                          std::string_view &text)
{
    namespace od = simdjson::ondemand;
    switch (type) {
    case od::json_type::string:
        kind = Kind::String;
        return value.get_string().get(text);
    case od::json_type::number: {
        std::string_view token;
        if (auto error = rawToken(value, token))
            return error;
        while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                  token.back() == '\r' || token.back() == '\t'))
            token.remove_suffix(1);
        if (!PayloadDecoder::isJsonNumber(token))
            return simdjson::NUMBER_ERROR;
        kind = Kind::Number;
        text = token;
        return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
        bool flag = false;
        if (auto error = value.get_bool().get(flag))
            return error;
        kind = Kind::Boolean;
        text = flag ? std::string_view("true") : std::string_view("false");
        return simdjson::SUCCESS;
    }
    case od::json_type::null: {
        bool isNull = false;
        if (auto error = value.is_null().get(isNull))
            return error;
        if (!isNull)
            return simdjson::N_ATOM_ERROR;
        kind = Kind::Null;
        text = "null";
        return simdjson::SUCCESS;
    }
    default:
        return simdjson::INCORRECT_TYPE;
    }
}

} // namespace JsonScalar
