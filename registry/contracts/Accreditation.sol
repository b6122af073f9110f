// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Stele accreditation registry
/// @notice Governance accounts accredit an issuer DID for a credential type
/// during a validity window, and may withdraw an accreditation. Every change
/// is an event. Verifiers ask `isAccredited(issuer, type, t)` with t the
/// credential's issuance time, so withdrawing an accreditation does not
/// invalidate credentials issued while it held.
///
/// Governance: the accounts named at deployment. Adding or removing a
/// governor takes votes from more than half of the current governors; the
/// last governor cannot be removed.
contract Accreditation {
    struct Entry {
        uint64 validFrom;
        uint64 validUntil;
        /// 0 while in force; the time of withdrawal otherwise.
        uint64 revokedAt;
    }

    mapping(address => bool) public isGovernor;
    uint256 public governorCount;
    /// Governance proposals: keccak256(account, add) => round => voter => voted.
    mapping(bytes32 => mapping(uint256 => mapping(address => bool))) private voted;
    mapping(bytes32 => uint256) private votes;
    mapping(bytes32 => uint256) private round;

    /// keccak256(abi.encode(issuer, credentialType)) => every accreditation ever given.
    mapping(bytes32 => Entry[]) private entries;

    event GovernorVote(address indexed account, bool add, address indexed voter, uint256 votes, uint256 needed);
    event GovernorAdded(address indexed account);
    event GovernorRemoved(address indexed account);
    event Accredited(
        bytes32 indexed key,
        string issuer,
        string credentialType,
        uint64 validFrom,
        uint64 validUntil,
        uint256 index,
        address indexed by
    );
    event AccreditationRevoked(
        bytes32 indexed key, string issuer, string credentialType, uint256 index, uint64 revokedAt, address indexed by
    );

    modifier onlyGovernor() {
        require(isGovernor[msg.sender], "not_governor");
        _;
    }

    constructor(address[] memory governors) {
        require(governors.length > 0, "no_governors");
        for (uint256 i = 0; i < governors.length; i++) {
            require(governors[i] != address(0) && !isGovernor[governors[i]], "bad_governor");
            isGovernor[governors[i]] = true;
            emit GovernorAdded(governors[i]);
        }
        governorCount = governors.length;
    }

    /// @notice Votes to add (`add`) or remove a governor; applied once more
    /// than half of the governors voted the same way.
    function voteGovernor(address account, bool add) external onlyGovernor {
        require(account != address(0), "bad_governor");
        require(isGovernor[account] != add, "no_change");
        bytes32 proposal = keccak256(abi.encode(account, add));
        uint256 r = round[proposal];
        require(!voted[proposal][r][msg.sender], "already_voted");
        voted[proposal][r][msg.sender] = true;
        uint256 count = ++votes[proposal];
        uint256 needed = governorCount / 2 + 1;
        emit GovernorVote(account, add, msg.sender, count, needed);
        if (count < needed) {
            return;
        }
        votes[proposal] = 0;
        round[proposal] = r + 1;
        if (add) {
            isGovernor[account] = true;
            governorCount++;
            emit GovernorAdded(account);
        } else {
            require(governorCount > 1, "last_governor");
            isGovernor[account] = false;
            governorCount--;
            emit GovernorRemoved(account);
        }
    }

    /// @notice Accredits `issuer` (a DID) for `credentialType` from `validFrom` until `validUntil` (Unix seconds).
    function accredit(string calldata issuer, string calldata credentialType, uint64 validFrom, uint64 validUntil)
        external
        onlyGovernor
    {
        require(bytes(issuer).length > 0 && bytes(credentialType).length > 0, "empty");
        require(validUntil > validFrom, "bad_window");
        bytes32 key = keccak256(abi.encode(issuer, credentialType));
        entries[key].push(Entry(validFrom, validUntil, 0));
        emit Accredited(key, issuer, credentialType, validFrom, validUntil, entries[key].length - 1, msg.sender);
    }

    /// @notice Withdraws every accreditation of `issuer` for `credentialType` that is still in force, from now on.
    function revoke(string calldata issuer, string calldata credentialType) external onlyGovernor {
        bytes32 key = keccak256(abi.encode(issuer, credentialType));
        Entry[] storage list = entries[key];
        uint64 now_ = uint64(block.timestamp);
        bool any = false;
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i].revokedAt == 0 && list[i].validUntil > now_) {
                list[i].revokedAt = now_;
                any = true;
                emit AccreditationRevoked(key, issuer, credentialType, i, now_, msg.sender);
            }
        }
        require(any, "not_accredited");
    }

    /// @notice Whether `issuer` was accredited for `credentialType` at time `at` (Unix seconds).
    function isAccredited(string calldata issuer, string calldata credentialType, uint64 at)
        public
        view
        returns (bool)
    {
        Entry[] storage list = entries[keccak256(abi.encode(issuer, credentialType))];
        for (uint256 i = 0; i < list.length; i++) {
            Entry storage e = list[i];
            if (e.validFrom <= at && at < e.validUntil && (e.revokedAt == 0 || at < e.revokedAt)) {
                return true;
            }
        }
        return false;
    }

    /// @notice `isAccredited`, with the chain's current time. A `true` for an
    /// `at` before `chainTime` can never become `false`: entries are never
    /// deleted, and a withdrawal only takes effect from its own (later) block
    /// time. Verifiers may keep such answers.
    function isAccreditedAt(string calldata issuer, string calldata credentialType, uint64 at)
        external
        view
        returns (bool accredited, uint64 chainTime)
    {
        return (isAccredited(issuer, credentialType, at), uint64(block.timestamp));
    }

    /// @notice The number of accreditations ever given to `issuer` for `credentialType`.
    function accreditationCount(string calldata issuer, string calldata credentialType)
        external
        view
        returns (uint256)
    {
        return entries[keccak256(abi.encode(issuer, credentialType))].length;
    }

    /// @notice One accreditation of `issuer` for `credentialType`.
    function accreditation(string calldata issuer, string calldata credentialType, uint256 index)
        external
        view
        returns (uint64 validFrom, uint64 validUntil, uint64 revokedAt)
    {
        Entry storage e = entries[keccak256(abi.encode(issuer, credentialType))][index];
        return (e.validFrom, e.validUntil, e.revokedAt);
    }
}
