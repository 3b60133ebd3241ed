#include <stdio.h>
int main(void) { puts("hello from albs"); return 0; }
