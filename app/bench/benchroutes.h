#pragma once
// The route tables WORKLOADS.md defines, shared by the workloads that run them (w1, w2 and
// gui-lag, which runs both through the inspector).

#include <QJsonObject>
#include <QString>

namespace coroute {
class Router;
}

namespace coroute::bench {

/// W1's handler result, typed: it becomes {"id": id, "name": "item"} where it is read as
/// JSON (the history writer thread), as a FastAPI handler returns a model rather than a dict.
struct Item
{
    qint64 id = 0;
    QString name;
    QJsonObject toJson() const;
};

/// W1's route table, in WORKLOADS.md's registration order; GET /items/{id:int} returns Item.
void addW1Routes(Router &r);
/// W2's GET /sleep?ms=N: sleeps N ms on the runtime's clock, returns 1.
void addW2Route(Router &r);

} // namespace coroute::bench
