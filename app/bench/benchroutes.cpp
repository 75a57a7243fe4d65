#include "bench/benchroutes.h"

#include "async/sleep.h"
#include "router/router.h"
#include "runtime/context.h"

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

QCoro::Task<Item> item(Context &ctx)
{
    co_return Item{ctx.param(u"id"_s).toInteger(), u"item"_s};
}

QCoro::Task<QJsonObject> empty(Context &)
{
    co_return QJsonObject{};
}

QCoro::Task<int> sleeper(Context &ctx)
{
    co_await sleep(ctx.clock(), std::chrono::milliseconds(ctx.param(u"ms"_s).toInteger()), ctx.token());
    co_return 1;
}

} // namespace

QJsonObject Item::toJson() const
{
    return {{u"id"_s, id}, {u"name"_s, name}};
}

void addW1Routes(Router &r)
{
    r.get(u"/health"_s, empty);
    r.get(u"/items"_s, empty);
    r.post(u"/items"_s, empty);
    r.get(u"/users/{id:int}"_s, empty);
    r.get(u"/orders/{id:int}"_s, empty);
    r.get(u"/items/{id:int}"_s, item);
    r.get(u"/items/{id:int}/tags"_s, empty);
    r.del(u"/items/{id:int}"_s, empty);
}

void addW2Route(Router &r)
{
    r.get(u"/sleep"_s, sleeper).query({.name = u"ms"_s, .type = ParamType::Int, .required = true, .minimum = 0});
}

} // namespace coroute::bench
