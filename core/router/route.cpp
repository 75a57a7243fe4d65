#include "router/route.h"
