#include "trace/spandata.h"

#include <QDateTime>
#include <QtEndian>
#include <QJsonArray>
#include <QRandomGenerator>

#include <array>
#include <bit>
#include <chrono>
#include <optional>

using namespace Qt::StringLiterals;

namespace coroute {

QString nameOf(SpanStatus status)
{
    switch (status) {
    case SpanStatus::Unset: return u"unset"_s;
    case SpanStatus::Ok: return u"ok"_s;
    case SpanStatus::Error: return u"error"_s;
    case SpanStatus::Cancelled: return u"cancelled"_s;
    }
    return u"unset"_s;
}

SpanStatus spanStatusFromName(QStringView name)
{
    for (auto s : {SpanStatus::Ok, SpanStatus::Error, SpanStatus::Cancelled}) {
        if (name == nameOf(s))
            return s;
    }
    return SpanStatus::Unset;
}

QJsonObject SpanEvent::toJson() const
{
    QJsonObject o{{u"t_ns"_s, QString::number(timeNs)}, {u"name"_s, name}};
    if (!attributes.isEmpty())
        o.insert(u"attributes"_s, attributes);
    return o;
}

SpanEvent SpanEvent::fromJson(const QJsonObject &o)
{
    return {o.value(u"t_ns"_s).toString().toLongLong(), o.value(u"name"_s).toString(),
            o.value(u"attributes"_s).toObject()};
}

void JobSpanFacts::addTo(QJsonObject &attributes) const
{
    forEach([&attributes](QStringView key, const auto &value) { attributes.insert(key, QJsonValue(value)); });
}

QJsonValue JobSpanFacts::value(QStringView key) const
{
    QJsonValue found(QJsonValue::Undefined);
    forEach([&](QStringView name, const auto &value) {
        if (name == key)
            found = QJsonValue(value);
    });
    return found;
}

QJsonObject SpanData::allAttributes() const
{
    if (!jobFacts)
        return attributes;
    QJsonObject all = attributes;
    jobFacts->addTo(all);
    return all;
}

QJsonValue SpanData::attribute(QStringView key) const
{
    if (jobFacts) {
        if (auto v = jobFacts->value(key); !v.isUndefined())
            return v;
    }
    return attributes.value(key);
}

namespace {

// Written by hand: QString::arg() and QByteArray::toHex() cost a parse of the pattern or a
// temporary per id, and the history writer formats three ids per span.
void writeHex(QChar *out, quint64 value)
{
    constexpr char16_t digits[] = u"0123456789abcdef";
    for (int i = 15; i >= 0; --i, value >>= 4)
        out[i] = QChar(digits[value & 0xf]);
}

// Exactly 16 hex digits, either case.
std::optional<quint64> readHex(QStringView hex)
{
    if (hex.size() != 16)
        return std::nullopt;
    quint64 value = 0;
    for (const QChar c : hex) {
        const char16_t u = c.unicode();
        int digit = -1;
        if (u >= u'0' && u <= u'9')
            digit = u - u'0';
        else if (u >= u'a' && u <= u'f')
            digit = u - u'a' + 10;
        else if (u >= u'A' && u <= u'F')
            digit = u - u'A' + 10;
        if (digit < 0)
            return std::nullopt;
        value = value << 4 | quint64(digit);
    }
    return value;
}

} // namespace

QString SpanData::idHex(quint64 id)
{
    if (!id)
        return {};
    QString text(16, Qt::Uninitialized);
    writeHex(text.data(), id);
    return text;
}

quint64 SpanData::idFromHex(QStringView hex)
{
    return hex.toULongLong(nullptr, 16);
}

QJsonObject SpanData::toJson() const
{
    QJsonArray evs;
    for (const auto &e : events)
        evs.append(e.toJson());
    QJsonObject o{
        {u"trace_id"_s, traceIdHex()},
        {u"span_id"_s, idHex(spanId)},
        {u"job"_s, qint64(job)},
        {u"name"_s, name},
        {u"start_ns"_s, QString::number(startNs)},
        {u"end_ns"_s, QString::number(endNs)},
        {u"status"_s, nameOf(status)},
    };
    if (parentId)
        o.insert(u"parent_id"_s, idHex(parentId));
    if (const auto all = allAttributes(); !all.isEmpty())
        o.insert(u"attributes"_s, all);
    if (!evs.isEmpty())
        o.insert(u"events"_s, evs);
    if (!statusMessage.isEmpty())
        o.insert(u"status_message"_s, statusMessage);
    if (!thread.isEmpty())
        o.insert(u"thread"_s, thread);
    return o;
}

SpanData SpanData::fromJson(const QJsonObject &o)
{
    SpanData s;
    s.traceId = TraceId::fromHex(o.value(u"trace_id"_s).toString());
    s.spanId = idFromHex(o.value(u"span_id"_s).toString());
    s.parentId = idFromHex(o.value(u"parent_id"_s).toString());
    s.job = JobId(o.value(u"job"_s).toInteger());
    s.name = o.value(u"name"_s).toString();
    s.startNs = o.value(u"start_ns"_s).toString().toLongLong();
    s.endNs = o.value(u"end_ns"_s).toString().toLongLong();
    s.attributes = o.value(u"attributes"_s).toObject();
    for (const auto &e : o.value(u"events"_s).toArray())
        s.events.append(SpanEvent::fromJson(e.toObject()));
    s.status = spanStatusFromName(o.value(u"status"_s).toString());
    s.statusMessage = o.value(u"status_message"_s).toString();
    s.thread = o.value(u"thread"_s).toString();
    return s;
}

namespace trace {

qint64 nowNs()
{
    using namespace std::chrono;
    static const auto anchorSteady = steady_clock::now();
    static const qint64 anchorWallNs = QDateTime::currentMSecsSinceEpoch() * 1000000;
    return anchorWallNs + duration_cast<nanoseconds>(steady_clock::now() - anchorSteady).count();
}

// Ids need to be unique, not secret: xoshiro256** per thread, seeded from the system's
// generator, costs a few instructions per id and no lock.
namespace {
class IdGenerator
{
public:
    IdGenerator() { QRandomGenerator::system()->fillRange(m_state.data(), qsizetype(m_state.size())); }

    quint64 next()
    {
        const quint64 result = std::rotl(m_state[1] * 5, 7) * 9;
        const quint64 t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = std::rotl(m_state[3], 45);
        return result;
    }

private:
    std::array<quint64, 4> m_state;
};

IdGenerator &idGenerator()
{
    thread_local IdGenerator generator;
    return generator;
}
} // namespace

quint64 newSpanId()
{
    quint64 id = 0;
    while (id == 0)
        id = idGenerator().next();
    return id;
}

} // namespace trace
TraceId TraceId::random()
{
    TraceId id;
    while (id.isNull()) {
        id.m_high = trace::idGenerator().next();
        id.m_low = trace::idGenerator().next();
    }
    return id;
}

TraceId TraceId::fromBytes(QByteArrayView bytes)
{
    TraceId id;
    if (bytes.size() == 16) {
        id.m_high = qFromBigEndian<quint64>(bytes.data());
        id.m_low = qFromBigEndian<quint64>(bytes.data() + 8);
    }
    return id;
}

TraceId TraceId::fromHex(QStringView hex)
{
    if (hex.size() != 32)
        return {};
    const auto high = readHex(hex.first(16));
    const auto low = readHex(hex.sliced(16));
    TraceId id;
    if (high && low) {
        id.m_high = *high;
        id.m_low = *low;
    }
    return id;
}

QByteArray TraceId::toBytes() const
{
    QByteArray bytes(16, Qt::Uninitialized);
    qToBigEndian(m_high, bytes.data());
    qToBigEndian(m_low, bytes.data() + 8);
    return bytes;
}

QString TraceId::toHex() const
{
    if (isNull())
        return {};
    QString text(32, Qt::Uninitialized);
    writeHex(text.data(), m_high);
    writeHex(text.data() + 16, m_low);
    return text;
}

} // namespace coroute
