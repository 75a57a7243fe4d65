#include "serve/listenaddress.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace coroute::serve {

QString ListenAddress::url() const
{
    const QString h = host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + host.toString() + u']'
                                                                       : host.toString();
    return u"http://%1:%2"_s.arg(h).arg(port);
}

std::optional<ListenAddress> ListenAddress::parse(const QString &text, QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<ListenAddress> {
        *error = u"--listen %1: %2"_s.arg(text, why);
        return std::nullopt;
    };
    QString hostText;
    QString portText;
    if (text.startsWith(u'[')) {
        const auto close = text.indexOf(u"]:"_s);
        if (close < 0)
            return fail(u"expected [IPV6]:PORT"_s);
        hostText = text.mid(1, close - 1);
        portText = text.mid(close + 2);
    } else if (const auto colon = text.lastIndexOf(u':'); colon >= 0) {
        hostText = text.left(colon);
        portText = text.mid(colon + 1);
        if (hostText.contains(u':'))
            return fail(u"write an IPv6 address in brackets: [::1]:PORT"_s);
    } else {
        hostText = u"127.0.0.1"_s;
        portText = text;
    }
    // Digits only: toUInt() alone would accept "+80" or " 80".
    bool ok = !portText.isEmpty() && portText.size() <= 5
              && std::all_of(portText.cbegin(), portText.cend(), [](QChar c) { return c.isDigit(); });
    const uint port = ok ? portText.toUInt(&ok) : 0;
    if (!ok || port > 65535)
        return fail(u"the port must be a number from 0 to 65535"_s);
    ListenAddress address;
    address.port = quint16(port);
    if (hostText.compare(u"localhost"_s, Qt::CaseInsensitive) == 0) {
        address.host = QHostAddress(QHostAddress::LocalHost);
    } else if (!address.host.setAddress(hostText) || hostText.isEmpty()) {
        return fail(u"'%1' is not an IP address (host names other than localhost are not resolved)"_s.arg(hostText));
    }
    return address;
}

} // namespace coroute::serve
