#include <ldap.h>
#include <sys/time.h>
