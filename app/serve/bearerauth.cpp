#include "serve/bearerauth.h"

#include <QRandomGenerator>

#include <array>

namespace coroute::serve {

bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    // Every byte of the longer input is visited and differences are OR-ed together, with no
    // early exit; a length mismatch only reveals the length, which a token does not hide.
    const qsizetype n = qMax(a.size(), b.size());
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    for (qsizetype i = 0; i < n; ++i) {
        const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
        const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
        diff |= x ^ y;
    }
    return diff == 0;
}

QByteArray generateToken()
{
    std::array<quint32, 8> words{}; // 32 bytes
    QRandomGenerator::system()->fillRange(words.data(), qsizetype(words.size()));
    return QByteArray(reinterpret_cast<const char *>(words.data()), qsizetype(sizeof(words))).toHex();
}

QByteArrayView bearerCredentials(QByteArrayView authorization)
{
    const QByteArrayView value = authorization.trimmed();
    constexpr QByteArrayView scheme("bearer");
    if (value.size() <= scheme.size() || value.at(scheme.size()) != ' '
        || value.first(scheme.size()).toByteArray().toLower() != scheme)
        return {};
    return value.sliced(scheme.size() + 1).trimmed();
}

bool BearerAuth::accepts(QByteArrayView authorization) const
{
    if (m_token.isEmpty())
        return false;
    return constantTimeEquals(bearerCredentials(authorization), m_token);
}

} // namespace coroute::serve
