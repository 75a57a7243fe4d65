#pragma once

#include <QHostAddress>
#include <QString>

#include <optional>

namespace coroute::serve {

/// Where `coroute serve` listens: an IP address (never a host name to resolve) and a port.
struct ListenAddress
{
    QHostAddress host{QHostAddress::LocalHost};
    quint16 port = 8765;

    /// Whether only this machine can connect (127.0.0.0/8 or ::1).
    bool isLoopback() const { return host.isLoopback(); }
    /// "http://127.0.0.1:8765", "http://[::1]:8765"
    QString url() const;

    /// Parses "HOST:PORT", "[IPV6]:PORT" or "PORT" (on 127.0.0.1). HOST is an IP literal or
    /// "localhost"; PORT is 0..65535 (0: any free port). Nothing, with *error set, otherwise.
    static std::optional<ListenAddress> parse(const QString &text, QString *error);
};

} // namespace coroute::serve
