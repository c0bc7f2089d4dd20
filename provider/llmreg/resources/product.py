"""``llmreg.Product``: a product and its environments, each with its own encryption key pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, UpdateResult
from pydantic import ValidationError

from ..domain import ProductEnv, ProductRecord, problems
from ..errors import FieldProblem, LlmregError
from ..sealing import PrivateKey, PublicKey
from ..store.base import Kind, Store, Stored
from ._outputs import StateOutput
from ._provider import StoreProvider, ints, is_unknown, unknown_paths, with_secret_outputs


def _check_product(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldProblem]]:
    envs = news.get("envs")
    inputs: dict[str, Any] = {
        "tag": news.get("tag"),
        "name": news.get("name"),
        "envs": list(envs) if isinstance(envs, list | tuple) else envs,
        "givenPublicKeys": dict(news.get("givenPublicKeys") or {}),
        "keyRotations": dict(news.get("keyRotations") or {}),
        "adopt": bool(news.get("adopt") or False),
    }
    found: list[FieldProblem] = []
    slugs = inputs["envs"]
    env_rows: Any = (
        [{"slug": s, "keyId": "k", "publicKey": "k"} for s in slugs]
        if isinstance(slugs, list)
        else slugs
    )
    try:
        ProductRecord.model_validate(
            {"tag": inputs["tag"], "name": inputs["name"], "envs": env_rows}
        )
    except ValidationError as e:
        for p in problems(e):
            path = p.path.removesuffix(".slug")
            found.append(FieldProblem(path, p.message))
    declared = set(slugs) if isinstance(slugs, list) else set()
    for env, text in inputs["givenPublicKeys"].items():
        path = f"givenPublicKeys.{env}"
        if env not in declared:
            found.append(FieldProblem(path, f"public_keys names env '{env}', not one of envs"))
        elif not is_unknown(text):
            try:
                PublicKey(str(text))
            except ValueError as err:
                found.append(FieldProblem(path, f"public_keys['{env}'] is not valid: {err}"))
    for env, count in inputs["keyRotations"].items():
        path = f"keyRotations.{env}"
        if env not in declared:
            found.append(FieldProblem(path, f"key_rotations names env '{env}', not one of envs"))
        elif not is_unknown(count) and (
            isinstance(count, bool)
            or not isinstance(count, int | float)
            or int(count) != count
            or count < 0
        ):
            found.append(FieldProblem(path, f"key_rotations['{env}'] must be an integer >= 0"))
        elif env in inputs["givenPublicKeys"]:
            found.append(
                FieldProblem(
                    path,
                    f"env '{env}' uses a supplied public key: rotate it by supplying a new one "
                    "with `llmreg keygen`, not with key_rotations",
                )
            )
    inputs["keyRotations"] = {
        k: int(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in inputs["keyRotations"].items()
    }
    return inputs, found


class ProductProvider(StoreProvider):
    """CRUD of product records; generates the environment key pairs."""

    kind = Kind.PRODUCT
    resource = "Product"
    replace_on = ("tag",)
    compared = ("name", "envs", "givenPublicKeys", "keyRotations")

    def checked(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem], list[str]]:
        inputs, found = _check_product(news)
        return inputs, found, unknown_paths(inputs)

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return _drifted_keys(olds)

    def locate(self, id_: str, props: Mapping[str, Any]) -> tuple[str, str]:
        tag = props.get("tag") or id_
        return tag, tag

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = ints(props)
        private, public = _keys(props, {})
        record = _record(props, public)
        stored = self.create_record(self.store(), record, adopt=bool(props.get("adopt")))
        return CreateResult(record.tag, _outs(props, public, private, stored.version))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = ints(olds), ints(news)
        private, public = _keys(news, olds)
        record = _record(news, public)
        removed = set(olds.get("envs") or []) - set(news["envs"])
        if removed:
            _refuse_used_envs(self.store(), record.tag, removed)
        version = int(olds.get("version") or 0) or None
        stored = self.update_record(self.store(), record, version)
        return UpdateResult(_outs(news, public, private, stored.version))

    def refreshed(self, store: Store, stored: Stored[Any], props: dict[str, Any]) -> dict[str, Any]:
        record = stored.record
        assert isinstance(record, ProductRecord)
        slugs = record.env_slugs()
        outs = dict(props)
        outs.update(
            tag=record.tag,
            name=record.name,
            envs=slugs,
            givenPublicKeys={
                k: v for k, v in (props.get("givenPublicKeys") or {}).items() if k in slugs
            },
            keyRotations={k: v for k, v in (props.get("keyRotations") or {}).items() if k in slugs},
            publicKeys={e.slug: e.public_key for e in record.envs},
            keyIds={e.slug: e.key_id for e in record.envs},
            privateKeys={k: v for k, v in (props.get("privateKeys") or {}).items() if k in slugs},
            version=stored.version,
        )
        return outs


def _keys(
    news: Mapping[str, Any], olds: Mapping[str, Any]
) -> tuple[dict[str, PrivateKey], dict[str, PublicKey]]:
    """The key pair of every env: supplied, kept from the last deployment, or new."""
    given: Mapping[str, str] = news.get("givenPublicKeys") or {}
    old_private: Mapping[str, str] = olds.get("privateKeys") or {}
    old_rot: Mapping[str, float] = olds.get("keyRotations") or {}
    new_rot: Mapping[str, float] = news.get("keyRotations") or {}
    private: dict[str, PrivateKey] = {}
    public: dict[str, PublicKey] = {}
    for env in news["envs"]:
        if env in given:
            public[env] = PublicKey(given[env])
            continue
        if env in old_private and old_rot.get(env, 0) == new_rot.get(env, 0):
            key = PrivateKey(old_private[env])
        else:
            key = PrivateKey.generate()
        private[env] = key
        public[env] = key.public_key
    return private, public


def _refuse_used_envs(store: Store, tag: str, removed: set[str]) -> None:
    """An env may leave the product only when no model or agent is configured for it."""
    users = [
        f"{kind.value[:-1]} '{tag}/{s.record.tag}'"
        for kind in (Kind.MODEL, Kind.AGENT)
        for s in store.list(kind, tag)
        if any(e.slug in removed for e in s.record.envs)
    ]
    if users:
        raise LlmregError(
            f"product '{tag}': env(s) {', '.join(sorted(removed))} are still configured in "
            f"{', '.join(users)}: remove them there first (pulumi up), then from the product"
        )


def _drifted_keys(olds: Mapping[str, Any]) -> bool:
    """True if the registry's public keys (as last refreshed) differ from the declared ones."""
    given: Mapping[str, str] = olds.get("givenPublicKeys") or {}
    private: Mapping[str, str] = olds.get("privateKeys") or {}
    current: Mapping[str, str] = olds.get("publicKeys") or {}
    for env in olds.get("envs") or []:
        if env in given:
            expected = given[env]
        elif env in private:
            expected = PrivateKey(private[env]).public_key.text
        else:
            return True
        if current.get(env) != expected:
            return True
    return False


def _record(props: Mapping[str, Any], public: Mapping[str, PublicKey]) -> ProductRecord:
    return ProductRecord(
        tag=props["tag"],
        name=props["name"],
        envs=[
            ProductEnv(slug=env, key_id=public[env].key_id, public_key=public[env].text)
            for env in props["envs"]
        ],
    )


def _outs(
    props: Mapping[str, Any],
    public: Mapping[str, PublicKey],
    private: Mapping[str, PrivateKey],
    version: int,
) -> dict[str, Any]:
    outs = dict(props)
    outs.update(
        publicKeys={env: key.text for env, key in public.items()},
        keyIds={env: key.key_id for env, key in public.items()},
        privateKeys={env: key.reveal() for env, key in private.items()},
        version=version,
    )
    return outs


class Product(pulumi.dynamic.Resource, module="llmreg", name="Product"):
    """A product: the owner of models and agents, with one encryption key pair per environment.

    Changing ``tag`` replaces the product; everything else updates in place.
    """

    tag: pulumi.Output[str]
    """The product's tag (a lowercase slug)."""
    name: pulumi.Output[str]
    """Human-readable name."""
    envs: pulumi.Output[list[str]]
    """Environment slugs, in declared order."""
    public_keys = StateOutput[dict[str, str]]("publicKeys")
    """Env slug -> public key (``llmreg-pk1-...``) that API keys of that env are sealed to."""
    key_ids = StateOutput[dict[str, str]]("keyIds")
    """Env slug -> id of the env's current key pair."""
    private_keys = StateOutput[dict[str, str]]("privateKeys")
    """Secret. Env slug -> generated private key (``llmreg-sk1-...``) for the runtime of that
    env. Envs whose public key was supplied have no entry."""
    version: pulumi.Output[int]
    """The registry record's version after the last write."""

    def __init__(
        self,
        resource_name: str,
        *,
        tag: pulumi.Input[str],
        name: pulumi.Input[str],
        envs: pulumi.Input[Sequence[pulumi.Input[str]]],
        public_keys: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        key_rotations: pulumi.Input[Mapping[str, pulumi.Input[int]]] | None = None,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a product.

        :param tag: lowercase slug, unique in the registry; changing it replaces the product.
        :param name: human-readable name.
        :param envs: environment slugs (at least one, unique), e.g. ``["dev", "stg", "prd"]``.
        :param public_keys: env -> public key made with ``llmreg keygen``; such envs get no
            generated private key.
        :param key_rotations: env -> counter; bump it to rotate that env's generated key pair
            (models re-seal their keys of that env on the same ``pulumi up``).
        :param adopt: take over a product that already exists in the registry.
        """
        props: dict[str, Any] = {
            "tag": tag,
            "name": name,
            "envs": envs,
            "givenPublicKeys": public_keys or {},
            "keyRotations": key_rotations or {},
            "adopt": adopt,
            "publicKeys": None,
            "keyIds": None,
            "privateKeys": None,
            "version": None,
        }
        opts = with_secret_outputs(opts, "privateKeys")
        super().__init__(ProductProvider(), resource_name, props, opts)
