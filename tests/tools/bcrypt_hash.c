/* SPDX-License-Identifier: MIT */
/* Prints the bcrypt hash of a password, for web config files in tests.
 * Usage: bcrypt_hash PASSWORD [COST] */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned long cost = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
    const char *salt;
    const char *hash;

    if (argc < 2 || cost < 4 || cost > 31) {
        fprintf(stderr, "usage: bcrypt_hash PASSWORD [COST 4..31]\n");
        return 2;
    }
    salt = crypt_gensalt("$2y$", cost, NULL, 0);
    hash = salt ? crypt(argv[1], salt) : NULL;
    if (!hash || hash[0] == '*') {
        perror("bcrypt_hash");
        return 1;
    }
    puts(hash);
    return 0;
}
