#include "bench/benchreport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <chrono>
#include <cmath>

using namespace Qt::StringLiterals;

namespace coroute::bench {

void BenchReport::set(const QString &key, const QJsonValue &value)
{
    for (auto &field : m_fields) {
        if (field.first == key) {
            field.second = value;
            return;
        }
    }
    m_fields.append({key, value});
}

void BenchReport::setRounded(const QString &key, double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    set(key, std::round(value * scale) / scale);
}

void BenchReport::fail(const QString &reason)
{
    if (m_failure.isEmpty())
        m_failure = reason;
}

QByteArray BenchReport::toJsonLine() const
{
    // Each value serialized on its own: wrap in an array, strip the brackets.
    const auto encode = [](const QJsonValue &v) {
        return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    };
    QByteArray line = "{";
    for (const auto &[key, value] : m_fields)
        line += encode(key) + ':' + encode(value) + ',';
    line += "\"check\":" + encode(passed() ? u"ok"_s : u"BAD (%1)"_s.arg(m_failure)) + '}';
    return line;
}

Memory readMemory()
{
    Memory m;
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return m;
    const auto kb = [](const QByteArray &line) { return line.mid(line.indexOf(':') + 1).trimmed().split(' ').first().toLongLong(); };
    for (const auto &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            m.rssKb = kb(line);
        else if (line.startsWith("VmHWM:"))
            m.peakKb = kb(line);
    }
    return m;
}

double nowSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace coroute::bench
