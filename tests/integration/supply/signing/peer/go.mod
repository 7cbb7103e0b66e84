module example.com/signingpeer

go 1.21
