#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace coroute::serve {

/// Whether a and b hold the same bytes, in a time that depends only on their lengths, never
/// on where they first differ (so a token cannot be guessed byte by byte from timings).
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

/// A fresh token: 32 bytes from the system's secure random source, as 64 hex digits.
QByteArray generateToken();

/// The credentials of an "Authorization: Bearer T" header value ("bearer" in any case), or
/// an empty view when the value is not a bearer credential.
QByteArrayView bearerCredentials(QByteArrayView authorization);

/// Checks the Authorization header of every request against one token.
class BearerAuth
{
public:
    explicit BearerAuth(QByteArray token) : m_token(std::move(token)) {}
    /// Whether the header value carries exactly the token (an empty token accepts nothing).
    bool accepts(QByteArrayView authorization) const;
    const QByteArray &token() const { return m_token; }

private:
    QByteArray m_token;
};

} // namespace coroute::serve
