"""The command line: parse, resolve a Config, call the library, print."""
