#include "router/router.h"
