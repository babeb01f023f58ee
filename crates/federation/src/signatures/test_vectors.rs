//! Fixed test vectors made with the OpenSSL 3 command line (an implementation independent of
//! ours, and the library Mastodon signs with): one RSA-2048 key in four PEM encodings, and two
//! signatures over hand-written signing strings. See the `fixed_vector_*` tests.

/// `openssl genrsa 2048` (PKCS#8).
pub(super) const PRIVATE_PKCS8_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDCAgAZGmKe7kbS
HEVOFV8+4OH8PQ8y9CbrMb1inoFz66f2R9C6Twj1aPXppes0OxaQcSM3l2F6I1Iv
pIytQGvvzYsVgMHaScMtPGqfblwAbKaYrEZemNFV67o8ym3sBzS0+8aZDMek4JHy
c8o+X3/JcpqXK4ZIGqme2Tsml85we5Ccka729PbKQPUaTz5lZWIqyMtUZII1EwKf
yjUTsoKfqQi4wfcI6V2SSyjSlgRSgVOZ1GzZu2ih7dT/CHKFyMVJg96HlMLnKbE8
fmDfm/Zmek79CuvAUQUARBDsv7ImbJ0XGwEF6A4EesMBiqQo59XqOwA3yrn+dkVf
pt2VSnEHAgMBAAECggEAGPxZojdZX4SVJGGLCh0LMOA/hSp2oaZQuNZQFg+54QGx
lltLZiM1pn2Hu46odbKXxlnRIkthvMbTF9sGWcMZOOoXhoPC85JaYPdjTU3Q6tET
Z52QS9s8jTyYYKnlcZIVV1WxucEBQ+++0XiDdyL6JH9DqkJrFIWH4N2zQNYo5Sgb
T+eOqqKTPxZr8LG5GiCSolDqVBSCRBUREIA6MDS3XzCbkPZDL78AkZdjv7fbPDWs
3DB8Qa6gFub6Ug1diEEanvn9Mj5glcYEYzixMeqauaHoEaLOE1liN5y8jHshzChq
gT2ePexL8IBNxw9jnRo4Dalh8j/BASG0/JmrHbpkcQKBgQDqAh4Z2FcB3kkgJuIf
ShvEl0rQXTIuD5MEQCNRlMmK2p/fEi3okFiLujmfmxES5YwWCiCR8C7pO9sXScca
QPYTKoS2+HQtpZM066AHdO9e6wW/Xt5iqGaWJAOMjIutS0kr5iQbDD+L96ruArCn
8ESbTPoXgypyfQS+wgZhNcKNGQKBgQDUPYhhzfiJl5akTBKM8CWrw5wrhmRfrKSR
Xl6CWAyjp+Dueo2+RtaM2rVhpwbCXu2BCnMv3PSCD9n8XrtRCp6fO5miBt1yTPvl
X6rdnoZ6IqNuRzruWjRU2NN5TwP08aMiSBUsf2EiX5YvdeTVT/yzClGxlf3AGnhJ
NQ6++iaTHwKBgDOGL9aE+fNhXDyGEzfMe3y3yzNBsfDOYRKIhL5LwmyeYqEdQZp5
XeW2JUXtQL8mZ8fahv1bIxkbosvn5Lz1HLlvnTUkU4BReq4mS2AY8TO3D9bpLpIO
fjgEyftCXubTMtNFoyGJetx4tdweH4N6tcB0HITczpXSzR6rXfg9fA7RAoGASx+A
j4XVK/aA9qSKiGJUIyj4tRs7mfXExkON1jsONjsszZyJYUk3leGwA+GX7eKl1F/7
h3yA+yxbLw3k5XmJzbjN12Dwrw16t6SWGR2MYdyy1kzWGhnJniKlL7H9J40D/hVf
kUGBAyasRR5IogxO2JyVb/M0PvPfkaH7FzP5xWcCgYEAgKSuDmw0cRuMh3xXSnfc
Jvj30sG97QU8XnZbhi2gAy6aCwH6BYTpm9GOgf9p3+Rg503WG7SZ91ryK5RSJkq7
JooeaDYzJvqKzsyRrArsHQhi6poTj3KTbDYurovY9+32hUzS75dUniT5OcAYwoUb
HQ9C8RX5Ft5uQhY2JYo0BNM=
-----END PRIVATE KEY-----\n";

/// `openssl rsa -traditional` (PKCS#1).
pub(super) const PRIVATE_PKCS1_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAwgIAGRpinu5G0hxFThVfPuDh/D0PMvQm6zG9Yp6Bc+un9kfQ
uk8I9Wj16aXrNDsWkHEjN5dheiNSL6SMrUBr782LFYDB2knDLTxqn25cAGymmKxG
XpjRVeu6PMpt7Ac0tPvGmQzHpOCR8nPKPl9/yXKalyuGSBqpntk7JpfOcHuQnJGu
9vT2ykD1Gk8+ZWViKsjLVGSCNRMCn8o1E7KCn6kIuMH3COldkkso0pYEUoFTmdRs
2btooe3U/whyhcjFSYPeh5TC5ymxPH5g35v2ZnpO/QrrwFEFAEQQ7L+yJmydFxsB
BegOBHrDAYqkKOfV6jsAN8q5/nZFX6bdlUpxBwIDAQABAoIBABj8WaI3WV+ElSRh
iwodCzDgP4UqdqGmULjWUBYPueEBsZZbS2YjNaZ9h7uOqHWyl8ZZ0SJLYbzG0xfb
BlnDGTjqF4aDwvOSWmD3Y01N0OrRE2edkEvbPI08mGCp5XGSFVdVsbnBAUPvvtF4
g3ci+iR/Q6pCaxSFh+Dds0DWKOUoG0/njqqikz8Wa/CxuRogkqJQ6lQUgkQVERCA
OjA0t18wm5D2Qy+/AJGXY7+32zw1rNwwfEGuoBbm+lINXYhBGp75/TI+YJXGBGM4
sTHqmrmh6BGizhNZYjecvIx7IcwoaoE9nj3sS/CATccPY50aOA2pYfI/wQEhtPyZ
qx26ZHECgYEA6gIeGdhXAd5JICbiH0obxJdK0F0yLg+TBEAjUZTJitqf3xIt6JBY
i7o5n5sREuWMFgogkfAu6TvbF0nHGkD2EyqEtvh0LaWTNOugB3TvXusFv17eYqhm
liQDjIyLrUtJK+YkGww/i/eq7gKwp/BEm0z6F4Mqcn0EvsIGYTXCjRkCgYEA1D2I
Yc34iZeWpEwSjPAlq8OcK4ZkX6ykkV5eglgMo6fg7nqNvkbWjNq1YacGwl7tgQpz
L9z0gg/Z/F67UQqenzuZogbdckz75V+q3Z6GeiKjbkc67lo0VNjTeU8D9PGjIkgV
LH9hIl+WL3Xk1U/8swpRsZX9wBp4STUOvvomkx8CgYAzhi/WhPnzYVw8hhM3zHt8
t8szQbHwzmESiIS+S8JsnmKhHUGaeV3ltiVF7UC/JmfH2ob9WyMZG6LL5+S89Ry5
b501JFOAUXquJktgGPEztw/W6S6SDn44BMn7Ql7m0zLTRaMhiXrceLXcHh+DerXA
dByE3M6V0s0eq134PXwO0QKBgEsfgI+F1Sv2gPakiohiVCMo+LUbO5n1xMZDjdY7
DjY7LM2ciWFJN5XhsAPhl+3ipdRf+4d8gPssWy8N5OV5ic24zddg8K8Nereklhkd
jGHcstZM1hoZyZ4ipS+x/SeNA/4VX5FBgQMmrEUeSKIMTticlW/zND7z35Gh+xcz
+cVnAoGBAICkrg5sNHEbjId8V0p33Cb499LBve0FPF52W4YtoAMumgsB+gWE6ZvR
joH/ad/kYOdN1hu0mfda8iuUUiZKuyaKHmg2Myb6is7MkawK7B0IYuqaE49yk2w2
Lq6L2Pft9oVM0u+XVJ4k+TnAGMKFGx0PQvEV+RbebkIWNiWKNATT
-----END RSA PRIVATE KEY-----\n";

/// `openssl rsa -pubout` (SPKI, what Mastodon publishes).
pub(super) const PUBLIC_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwgIAGRpinu5G0hxFThVf
PuDh/D0PMvQm6zG9Yp6Bc+un9kfQuk8I9Wj16aXrNDsWkHEjN5dheiNSL6SMrUBr
782LFYDB2knDLTxqn25cAGymmKxGXpjRVeu6PMpt7Ac0tPvGmQzHpOCR8nPKPl9/
yXKalyuGSBqpntk7JpfOcHuQnJGu9vT2ykD1Gk8+ZWViKsjLVGSCNRMCn8o1E7KC
n6kIuMH3COldkkso0pYEUoFTmdRs2btooe3U/whyhcjFSYPeh5TC5ymxPH5g35v2
ZnpO/QrrwFEFAEQQ7L+yJmydFxsBBegOBHrDAYqkKOfV6jsAN8q5/nZFX6bdlUpx
BwIDAQAB
-----END PUBLIC KEY-----\n";

/// `openssl rsa -RSAPublicKey_out` (PKCS#1).
pub(super) const PUBLIC_PKCS1_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwgIAGRpinu5G0hxFThVfPuDh/D0PMvQm6zG9Yp6Bc+un9kfQuk8I
9Wj16aXrNDsWkHEjN5dheiNSL6SMrUBr782LFYDB2knDLTxqn25cAGymmKxGXpjR
Veu6PMpt7Ac0tPvGmQzHpOCR8nPKPl9/yXKalyuGSBqpntk7JpfOcHuQnJGu9vT2
ykD1Gk8+ZWViKsjLVGSCNRMCn8o1E7KCn6kIuMH3COldkkso0pYEUoFTmdRs2bto
oe3U/whyhcjFSYPeh5TC5ymxPH5g35v2ZnpO/QrrwFEFAEQQ7L+yJmydFxsBBegO
BHrDAYqkKOfV6jsAN8q5/nZFX6bdlUpxBwIDAQAB
-----END RSA PUBLIC KEY-----\n";

/// The activity both vectors deliver.
pub(super) const BODY: &str = r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://remote.example/users/bob","object":"https://coop.example/users/alice"}"#;

/// Unix time both vectors were signed at (Tue, 14 Nov 2023 22:13:20 GMT).
pub(super) const SIGNED_AT: u64 = 1_700_000_000;

/// `openssl dgst -sha256 -sign` over the draft-cavage signing string
/// `(request-target) host date digest content-type` of `POST https://coop.example/users/alice/inbox`.
pub(super) const CAVAGE_SIGNATURE: &str = "f/2ik5d9utKksk+7GNG/4seE2YxxDkkt5Bx3ZvkHWwoqBFmpspnGqwlhZ7w1OiI81bWRoWleGMqzhnxcbPnj/MFWneEqKz3W4Bpsb0dW2tK8m8xnQ+ybLCCPqMHcd8gA3tXCj6kq+G+6u1HAQzOlxPh2c8XHlrPUVtv0XtPya1wFnV0Y2eP5GCoIVgSfIvUqQ9CxXWT+oGz5FlWgPg2sEDdN/Z86AtDb7AdiFYG106pbcZClvLs7KWgLKI2F23P1vzlgo3YdhiNbeMvxrkz2PcipjBoEVeztRyn92b+Vc9ErI2cki4DRwgPp4yP6CvP8i3Cpm572jrv4OymlGBP41A==";

/// `openssl dgst -sha256 -sign` over the RFC 9421 signature base of the same request.
pub(super) const RFC9421_SIGNATURE: &str = "dPtmaDwUj2gW1XG5GyHJfF2BP0zy9cwnSMc11q+S+W8NdZWu3adZgQ2Q7zTmujLxJPhSn0l5jkAf76WdoYOcngwcJPXU6GjqsarpAXqakqs4sA/CQbbpYQFVEEtayHttWT2CHqswQzbjHMQT7ryVlPPsZ4fup135S+qG/bYO4xAnAu9oaFULYYw7AE9hHZocmnWaUSMku3ZLiMeWaVsCCPeiTJjsf8DbOljcUO4P0BzGKTb3QnNkRMXo7KWps01qMWY0Kqr9MO57RDFNIGIOJHntdQpfH4p2K5fhe9lcIr3Mr2jCdrV0DKJJ1uIKYtiMxRb8NzpHLmiULuzGSGW/Tg==";
